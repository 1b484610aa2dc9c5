package dev.chelsea.engine.kv;

import static dev.chelsea.engine.kv.SlotRanking.floatKey;
import static dev.chelsea.engine.kv.SlotRanking.lowest;

/**
 * H2O, the Heavy-Hitter Oracle (arXiv 2306.14048): every entry accumulates the attention it
 * receives (summed over the query heads of its GQA group, over every query since it arrived); the
 * recent window is always kept, and beyond it the entries with the least accumulated attention are
 * evicted, greedily, at every step, so the cache holds exactly its budget. At the end of the
 * prompt the heavy hitters are the prompt's top scorers. As in the paper there are no separate
 * sink tokens: sinks survive because they are heavy hitters.
 */
public final class H2oKvCache extends EvictingKvCache {

    public H2oKvCache(KvCacheConfig config, KvLayout layout, int maxTokens) {
        super(config, layout, maxTokens, true);
    }

    @Override
    public String policy() {
        return "h2o";
    }

    @Override
    protected boolean wantsAttentionWeights() {
        return true;
    }

    @Override
    protected void onAttention(int layer, int head, int i, int n, float[] weights, int group, int visible) {
        accumulateScores(layer, head, n, weights, group, visible);
    }

    @Override
    protected void chooseVictims(int layer, int head, int end, int k, int[] victims) {
        float[] acc = scores[layer][head];
        lowest(j -> floatKey(acc[j]), 0, end, k, victims);
    }
}
