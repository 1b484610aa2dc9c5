package dev.chelsea.engine.kv;

import dev.chelsea.engine.kernel.Attention;
import dev.chelsea.engine.kernel.Parallel;

import java.util.Arrays;

import static dev.chelsea.engine.kv.SlotRanking.floatKey;
import static dev.chelsea.engine.kv.SlotRanking.lowest;

/**
 * SnapKV (arXiv 2404.14469): at the end of the prompt, the last {@code recentWindow} prompt
 * queries (the observation window) vote on the entries before them: their attention, summed over
 * the window's queries and the query heads of the GQA group, is max-pooled along the sequence
 * (kernel 7, as KVCache-Factory does) so that neighbours of a chosen entry come along, and the
 * top entries are kept with the window itself.
 *
 * <p>The paper does not compress during decoding, so its memory grows again with every generated
 * token. To stay at equal memory with the other policies, this one <b>re-votes</b>: attention
 * received during decoding is accumulated, and when a layer exceeds its budget by more than one
 * chunk (the same trigger and slack as Chelsea), the queries since the last vote act as the
 * observation window and the same pooled top-k selection brings it back to the budget. The
 * re-vote reuses attention weights already computed for decoding, so it costs a sort, not a pass.
 */
public final class SnapKvCache extends BudgetedKvCache {
    static final int POOL_KERNEL = 7;

    private final int window;
    private float[][] observed = new float[0][];  // [layer][ring * heads * headDim]: last queries of the layer
    private final int[][] observedPositions;      // [layer][ring]
    private final int[] observedTotal;            // queries recorded per layer, ever
    private int heads;

    public SnapKvCache(KvCacheConfig config, KvLayout layout, int maxTokens) {
        super(config, layout, maxTokens, false, true);
        this.window = config.recentWindow();
        this.observedPositions = new int[layout.layers()][window];
        this.observedTotal = new int[layout.layers()];
    }

    @Override
    public String policy() {
        return "snapkv";
    }

    @Override
    protected int slack() {
        return config.chunkSize();
    }

    @Override
    public void attend(int layer, float[] q, int n, int heads, float[] out, Parallel parallel) {
        observe(layer, q, n, heads);
        super.attend(layer, q, n, heads, out, parallel);
    }

    /** Keeps the last {@code window} queries of each layer: the observation window of the next prompt vote. */
    private void observe(int layer, float[] q, int n, int heads) {
        if (window == 0) {
            return;
        }
        int row = heads * layout.headDim();
        if (heads != this.heads) {
            this.heads = heads;
            observed = new float[layout.layers()][window * row];
            Arrays.fill(observedTotal, 0);
        }
        for (int i = Math.max(0, n - window); i < n; i++) {
            int r = observedTotal[layer] % window;
            System.arraycopy(q, i * row, observed[layer], r * row, row);
            observedPositions[layer][r] = position() + i;
            observedTotal[layer]++;
        }
    }

    @Override
    protected boolean wantsAttentionWeights() {
        return !inPrompt();
    }

    @Override
    protected void onAttention(int layer, int head, int i, int n, float[] weights, int group, int visible) {
        if (!inPrompt()) {
            accumulateScores(layer, head, n, weights, group, visible);
        }
    }

    @Override
    protected int compressHead(int layer, int head, int target, boolean endOfPrompt) {
        int n = slots(layer);
        int recent = Math.min(window, n);
        int prefix = n - recent;
        int keep = target - recent;
        float[] votes = scores[layer][head];
        if (endOfPrompt) {
            voteWithObservedQueries(layer, head, n, prefix, votes);
        }
        float[] pooled = maxPool(votes, prefix);
        int[] kept = new int[target];
        lowest(j -> floatKey(-pooled[j]), 0, prefix, keep, kept);
        for (int j = 0; j < recent; j++) {
            kept[keep + j] = prefix + j;
        }
        retain(layer, head, kept, target);
        Arrays.fill(votes, 0, target, 0f);
        return target;
    }

    /**
     * Overwrites {@code votes[0..prefix)} with the attention the stored observation queries give
     * each entry (scaled dot product and softmax over everything each query could see, as in the
     * prompt's own attention), summed over queries and the query heads of the group.
     */
    private void voteWithObservedQueries(int layer, int head, int n, int prefix, float[] votes) {
        Arrays.fill(votes, 0, n, 0f);
        int d = layout.headDim();
        int group = heads / layout.kvHeads();
        int row = heads * d;
        int count = Math.min(observedTotal[layer], window);
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] k = keys[layer][head];
        float[] logits = new float[n];
        for (int r = 0; r < count; r++) {
            // The observed queries are the newest tokens, so they sit in the uncompressed window.
            int slot = n - (position() - observedPositions[layer][r]);
            if (slot < 0) {
                continue;
            }
            for (int g = 0; g < group; g++) {
                int qo = r * row + (head * group + g) * d;
                for (int j = 0; j <= slot; j++) {
                    logits[j] = Attention.dot(observed[layer], qo, k, j * d, d) * scale;
                }
                Attention.softmax(logits, 0, slot + 1);
                for (int j = 0; j < Math.min(prefix, slot + 1); j++) {
                    votes[j] += logits[j];
                }
            }
        }
    }

    /** Max over a centred window of {@link #POOL_KERNEL} entries, clipped at the ends. */
    static float[] maxPool(float[] x, int n) {
        float[] y = new float[n];
        int half = POOL_KERNEL / 2;
        for (int j = 0; j < n; j++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int t = Math.max(0, j - half); t <= Math.min(n - 1, j + half); t++) {
                m = Math.max(m, x[t]);
            }
            y[j] = m;
        }
        return y;
    }

    @Override
    public void clear() {
        super.clear();
        Arrays.fill(observedTotal, 0);
    }
}
