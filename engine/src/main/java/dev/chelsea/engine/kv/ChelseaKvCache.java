package dev.chelsea.engine.kv;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Chelsea, the default policy (CHELSEA.md §1.4, defaults of §6): per layer and KV head, the
 * post-RoPE keys between the protected sink tokens and the recent window are merged into
 * size-weighted centroids by {@link ChunkedSoftMatching}, in as many passes as the budget needs.
 * Keys and values of a cluster are averaged with the same weights (the sizes), sizes add up, and a
 * centroid stays in its destination's slot so temporal order is kept. Attention then adds
 * {@code log(size)} to a centroid's logit, which is exact for a cluster of identical entries.
 *
 * <p>Runs after the prompt and, during decoding, whenever a layer exceeds its budget by more than
 * one chunk (so about once every chunk of new tokens). Centroids are never re-rotated; new tokens
 * keep their true absolute positions.
 */
public final class ChelseaKvCache extends BudgetedKvCache {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final boolean[] merged;
    private final ThreadLocal<ChunkedSoftMatching> matching;

    public ChelseaKvCache(KvCacheConfig config, KvLayout layout, int maxTokens) {
        super(config, layout, maxTokens, true, false);
        this.merged = new boolean[layout.layers()];
        this.matching = ThreadLocal.withInitial(() -> new ChunkedSoftMatching(config.chunkSize(), layout.headDim()));
    }

    @Override
    public String policy() {
        return "chelsea";
    }

    @Override
    protected int slack() {
        return config.chunkSize();
    }

    /** Exact: a merged slot is never split or dropped, so once a layer has merged it stays merged until cleared. */
    @Override
    protected boolean hasMerged(int layer) {
        return merged[layer];
    }

    @Override
    protected int compressHead(int layer, int head, int target, boolean endOfPrompt) {
        int sinks = config.sinkTokens(), window = config.recentWindow();
        int n = slots(layer);
        int m = n - sinks - window;
        if (m <= 0) {
            return n;
        }
        ChunkedSoftMatching csm = matching.get();
        int[] dest = new int[m];
        int[] kept = new int[n];
        for (ChunkedSoftMatching.Pass pass : ChunkedSoftMatching.schedule(m, target - sinks - window, config.chunkSize(), config.globalTopK())) {
            int merges = csm.plan(keys[layer][head], sinks, m, pass, dest);
            mergeInto(layer, head, sinks, m, dest);
            int k = 0;
            for (int s = 0; s < sinks; s++) {
                kept[k++] = s;
            }
            for (int i = 0; i < m; i++) {
                if (dest[i] < 0) {
                    kept[k++] = sinks + i;
                }
            }
            for (int s = sinks + m; s < n; s++) {
                kept[k++] = s;
            }
            retain(layer, head, kept, k);
            n -= merges;
            m -= merges;
            if (merges > 0) {
                merged[layer] = true;
            }
        }
        return n;
    }

    /**
     * Folds every source into its destination as a running size-weighted mean, sources in slot
     * order: the result is the weighted centroid, and identical entries leave it bitwise unchanged.
     * Destinations are never sources, so the order of the updates cannot read a half-merged slot.
     */
    private void mergeInto(int layer, int head, int from, int count, int[] dest) {
        int d = layout.headDim();
        float[] k = keys[layer][head], v = values[layer][head], s = sizes[layer][head], ls = logSizes[layer][head];
        for (int i = 0; i < count; i++) {
            if (dest[i] < 0) {
                continue;
            }
            int a = from + i, b = from + dest[i];
            float total = s[a] + s[b];
            float w = s[a] / total;
            lerp(k, a * d, b * d, w, d);
            lerp(v, a * d, b * d, w, d);
            s[b] = total;
            ls[b] = (float) Math.log(total);
        }
    }

    /** {@code y += (x - y) * w} over {@code n} floats of the same array. */
    private static void lerp(float[] arr, int xOff, int yOff, float w, int n) {
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += F.length()) {
            FloatVector y = FloatVector.fromArray(F, arr, yOff + i);
            FloatVector.fromArray(F, arr, xOff + i).sub(y).fma(FloatVector.broadcast(F, w), y).intoArray(arr, yOff + i);
        }
        for (; i < n; i++) {
            arr[yOff + i] += (arr[xOff + i] - arr[yOff + i]) * w;
        }
    }

    @Override
    public void clear() {
        super.clear();
        Arrays.fill(merged, false);
    }
}
