package dev.chelsea.engine.kv;

import dev.chelsea.engine.kernel.Parallel;

/**
 * Measures how far a policy's attention is from full attention. The probe is the model's cache:
 * it forwards everything to the policy, whose outputs the model uses, and feeds the same keys and
 * values to an uncompressed shadow that answers the same queries. Both see the policy's own
 * trajectory, so the error isolates what compression does to each attention call rather than
 * the drift of hidden states.
 *
 * <p>Only queries after the first {@link #endPrefill()} count: before it no policy compresses
 * and every error would be zero. Costs a second, full cache and a second attention per layer.
 */
public final class AttentionErrorProbe implements KvCache {
    private final KvCache policy;
    private final FullKvCache shadow;
    private final double[] diffSq;       // per layer: sum over query heads of |o - o_full|^2
    private final double[] fullSq;       // per layer: sum of |o_full|^2
    private final double[] relativeSum;  // per layer: sum of |o - o_full| / |o_full|
    private final long[] rows;           // per layer: (query, head) pairs measured
    private boolean measuring;
    private float[] fullOut = new float[0];

    public AttentionErrorProbe(KvCache policy, int maxTokens) {
        this.policy = policy;
        this.shadow = new FullKvCache(policy.layout(), maxTokens);
        int layers = policy.layout().layers();
        diffSq = new double[layers];
        fullSq = new double[layers];
        relativeSum = new double[layers];
        rows = new long[layers];
    }

    /** The cache under test. */
    public KvCache policyCache() {
        return policy;
    }

    @Override
    public KvLayout layout() {
        return policy.layout();
    }

    @Override
    public String policy() {
        return policy.policy();
    }

    @Override
    public int position() {
        return policy.position();
    }

    @Override
    public int slots(int layer) {
        return policy.slots(layer);
    }

    @Override
    public void append(int layer, float[] k, float[] v, int n) {
        policy.append(layer, k, v, n);
        shadow.append(layer, k, v, n);
    }

    @Override
    public void attend(int layer, float[] q, int n, int heads, float[] out, Parallel parallel) {
        policy.attend(layer, q, n, heads, out, parallel);
        if (!measuring) {
            shadow.attend(layer, q, n, heads, out, parallel);
            return;
        }
        int d = layout().headDim();
        int size = n * heads * d;
        if (fullOut.length < size) {
            fullOut = new float[size];
        }
        shadow.attend(layer, q, n, heads, fullOut, parallel);
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

    @Override
    public void commit(int n) {
        policy.commit(n);
        shadow.commit(n);
    }

    @Override
    public void endPrefill() {
        policy.endPrefill();
        shadow.endPrefill();
        measuring = true;
    }

    /** The policy's statistics; the shadow is the probe's own cost and is not reported. */
    @Override
    public KvStats stats() {
        return policy.stats();
    }

    @Override
    public void clear() {
        policy.clear();
        shadow.clear();
        measuring = false;
        java.util.Arrays.fill(diffSq, 0);
        java.util.Arrays.fill(fullSq, 0);
        java.util.Arrays.fill(relativeSum, 0);
        java.util.Arrays.fill(rows, 0);
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
}
