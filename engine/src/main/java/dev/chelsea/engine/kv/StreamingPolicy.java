package dev.chelsea.engine.kv;

import java.util.Set;

import static dev.chelsea.engine.kv.SlotRanking.lowest;

/**
 * StreamingLLM (arXiv 2309.17453): the first {@code sinkTokens} tokens (attention sinks) plus the
 * most recent tokens, up to the budget; the oldest non-sink entry goes first. Holds exactly its
 * budget after every committed batch; eviction refills holes out of order, so the oldest are found
 * by position, not by slot.
 *
 * <p>One difference from the paper: StreamingLLM re-indexes positions inside the cache (a token's
 * rotary position is its slot). Here keys are cached after RoPE, so every token keeps its true
 * absolute position, as with every other policy of this cache. That is the fairer comparison, but
 * unlike the paper it does not extend a model beyond its trained context.
 */
public final class StreamingPolicy extends BudgetedPolicy {

    public StreamingPolicy(KvCacheConfig config, int layers) {
        this(config, layers, 0);
    }

    /** Under {@code config}'s limit in bytes, at {@code bytesPerSlot} a slot of every layer and KV head (0: no limit). */
    public StreamingPolicy(KvCacheConfig config, int layers, long bytesPerSlot) {
        super(config, layers, bytesPerSlot);
    }

    @Override
    public String name() {
        return "streaming";
    }

    @Override
    public Set<KvStore.Feature> requires() {
        return Set.of(KvStore.Feature.EVICT, KvStore.Feature.POSITIONS);
    }

    @Override
    public KvStoreSpec storeSpec() {
        return new KvStoreSpec(false, false, false, 0, spareSlots());
    }

    /** No slack: evicting one entry is cheap, and this policy evicts every step. */
    @Override
    public int slack() {
        return 0;
    }

    @Override
    public KvPlan plan(KvStore store, int[] targets, boolean endOfPrompt) {
        int heads = store.layout().kvHeads();
        return new KvPlan(perLayer(targets, l -> {
            int n = store.slots(l);
            int k = n - targets[l];
            int end = n - Math.min(config.recentWindow(), n);
            int sinks = Math.min(config.sinkTokens(), end);
            if (k > end - sinks) {
                throw new IllegalStateException("streaming: cannot evict " + k + " of " + (end - sinks) + " unprotected slots");
            }
            int[][] victims = new int[heads][k];
            for (int h = 0; h < heads; h++) {
                int[] pos = store.positions(l, h);
                lowest(j -> pos[j], sinks, end, k, victims[h]);
            }
            return new KvPlan.Evict(victims, end);
        }), false);
    }
}
