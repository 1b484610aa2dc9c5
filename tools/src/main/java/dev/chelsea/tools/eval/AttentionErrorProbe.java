package dev.chelsea.tools.eval;

import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.HostKvStore;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPlan;
import dev.chelsea.engine.kv.KvStoreSpec;

import java.util.Arrays;

/**
 * Measures how far a policy's attention is from full attention. The probe wraps the policy's
 * store (the model attends through it): it forwards everything to that store, whose outputs the
 * model uses, and feeds the same keys and values to an uncompressed shadow that answers the same
 * queries. Both see the policy's own trajectory, so the error isolates what compression does to
 * each attention call rather than the drift of hidden states.
 *
 * <p>Only queries after the first prompt count ({@link #setPromptPhase} turns measuring on): before
 * it no policy compresses and every error would be zero. Costs a second, full store and a second
 * attention per layer. CPU only: it reads the outputs on the host.
 */
public final class AttentionErrorProbe implements HostKvStore {
    private final HostKvStore policy;
    private final CpuKvStore shadow;
    private final double[] diffSq;       // per layer: sum over query heads of |o - o_full|^2
    private final double[] fullSq;       // per layer: sum of |o_full|^2
    private final double[] relativeSum;  // per layer: sum of |o - o_full| / |o_full|
    private final long[] rows;           // per layer: (query, head) pairs measured
    private boolean measuring;
    private boolean paused;
    private float[] fullOut = new float[0];

    public AttentionErrorProbe(HostKvStore policy) {
        this.policy = policy;
        this.shadow = new CpuKvStore(policy.layout(), KvStoreSpec.appendOnly(), policy.parallel());
        int layers = policy.layout().layers();
        diffSq = new double[layers];
        fullSq = new double[layers];
        relativeSum = new double[layers];
        rows = new long[layers];
    }

    /**
     * Pauses (or resumes) the comparison. The shadow still receives every key and value, so it
     * stays complete; only its second attention is skipped, which lets a caller time a stretch of
     * decoding at close to the policy's own speed.
     */
    public void pause(boolean pause) {
        this.paused = pause;
    }

    @Override
    public void append(int layer, float[] k, float[] v, int n) {
        policy.append(layer, k, v, n);
        shadow.append(layer, k, v, n);
    }

    @Override
    public void attend(int layer, float[] q, int n, int heads, float[] out) {
        policy.attend(layer, q, n, heads, out);
        if (!measuring || paused) {
            return;
        }
        int d = layout().headDim();
        int size = n * heads * d;
        if (fullOut.length < size) {
            fullOut = new float[size];
        }
        shadow.attend(layer, q, n, heads, fullOut);
        for (int r = 0; r < n * heads; r++) {
            double diff = 0, full = 0;
            for (int c = r * d; c < (r + 1) * d; c++) {
                double e = out[c] - fullOut[c];
                diff += e * e;
                full += (double) fullOut[c] * fullOut[c];
            }
            diffSq[layer] += diff;
            fullSq[layer] += full;
            relativeSum[layer] += full > 0 ? Math.sqrt(diff / full) : 0;
            rows[layer]++;
        }
    }

    /** The end of the first prompt starts the measurement. */
    @Override
    public void setPromptPhase(boolean inPrompt) {
        policy.setPromptPhase(inPrompt);
        shadow.setPromptPhase(inPrompt);
        measuring = !inPrompt;
    }

    @Override
    public void clear() {
        policy.clear();
        shadow.clear();
        measuring = false;
        paused = false;
        Arrays.fill(diffSq, 0);
        Arrays.fill(fullSq, 0);
        Arrays.fill(relativeSum, 0);
        Arrays.fill(rows, 0);
    }

    /** {@code sqrt(sum |o - o_full|^2 / sum |o_full|^2)} over every measured query head and layer; 0 before any. */
    public double relativeError() {
        double diff = 0, full = 0;
        for (int l = 0; l < diffSq.length; l++) {
            diff += diffSq[l];
            full += fullSq[l];
        }
        return full == 0 ? 0 : Math.sqrt(diff / full);
    }

    /** The same, for one layer. */
    public double relativeError(int layer) {
        return fullSq[layer] == 0 ? 0 : Math.sqrt(diffSq[layer] / fullSq[layer]);
    }

    /** Mean over measured (query, head, layer) of {@code |o - o_full| / |o_full|}. */
    public double meanRelativeError() {
        double sum = 0;
        long count = 0;
        for (int l = 0; l < rows.length; l++) {
            sum += relativeSum[l];
            count += rows[l];
        }
        return count == 0 ? 0 : sum / count;
    }

    /** Query heads measured so far, summed over layers. */
    public long measuredRows() {
        long count = 0;
        for (long r : rows) {
            count += r;
        }
        return count;
    }

    // Everything else is the policy's store: the shadow is the probe's own cost and is not reported.

    @Override
    public KvLayout layout() {
        return policy.layout();
    }

    @Override
    public int slots(int layer) {
        return policy.slots(layer);
    }

    @Override
    public boolean supports(Feature feature) {
        return policy.supports(feature);
    }

    @Override
    public int[] positions(int layer, int head) {
        return policy.positions(layer, head);
    }

    @Override
    public void apply(KvPlan plan) {
        policy.apply(plan);
    }

    @Override
    public void setScoring(boolean on) {
        policy.setScoring(on);
    }

    @Override
    public void trim() {
        policy.trim();
    }

    @Override
    public Footprint footprint() {
        return policy.footprint();
    }

    @Override
    public long bytesPerToken() {
        return policy.bytesPerToken();
    }

    @Override
    public void copyTo(dev.chelsea.engine.kv.KvStore target) {
        throw new UnsupportedOperationException("a probed store is not copied");
    }

    @Override
    public void close() {
        policy.close();
        shadow.close();
    }

    @Override
    public float[] keys(int layer, int head) {
        return policy.keys(layer, head);
    }

    @Override
    public float[] values(int layer, int head) {
        return policy.values(layer, head);
    }

    @Override
    public float[] sizes(int layer, int head) {
        return policy.sizes(layer, head);
    }

    @Override
    public float[] scores(int layer, int head) {
        return policy.scores(layer, head);
    }

    @Override
    public int queryHeads() {
        return policy.queryHeads();
    }

    @Override
    public int queriesSeen(int layer) {
        return policy.queriesSeen(layer);
    }

    @Override
    public float[] queries(int layer) {
        return policy.queries(layer);
    }

    @Override
    public int[] queryPositions(int layer) {
        return policy.queryPositions(layer);
    }

    @Override
    public Parallel parallel() {
        return policy.parallel();
    }
}
