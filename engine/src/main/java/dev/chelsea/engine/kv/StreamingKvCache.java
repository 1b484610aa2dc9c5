package dev.chelsea.engine.kv;

import static dev.chelsea.engine.kv.SlotRanking.lowest;

/**
 * StreamingLLM (arXiv 2309.17453): the first {@code sinkTokens} tokens (attention sinks) plus the
 * most recent tokens, up to the budget; the oldest non-sink entry goes first.
 *
 * <p>One difference from the paper: StreamingLLM re-indexes positions inside the cache (a token's
 * rotary position is its slot). Here keys are cached after RoPE, so every token keeps its true
 * absolute position, as with every other policy of this cache. That is the fairer comparison, but
 * unlike the paper it does not extend a model beyond its trained context.
 */
public final class StreamingKvCache extends EvictingKvCache {

    public StreamingKvCache(KvCacheConfig config, KvLayout layout, int maxTokens) {
        super(config, layout, maxTokens, false);
    }

    @Override
    public String policy() {
        return "streaming";
    }

    @Override
    protected void chooseVictims(int layer, int head, int end, int k, int[] victims) {
        int sinks = Math.min(config.sinkTokens(), end);
        if (k > end - sinks) {
            throw new IllegalStateException("streaming: cannot evict " + k + " of " + (end - sinks) + " unprotected slots");
        }
        // Eviction refills holes out of order, so the oldest are found by position, not by slot.
        int[] pos = positions[layer][head];
        lowest(j -> pos[j], sinks, end, k, victims);
    }
}
