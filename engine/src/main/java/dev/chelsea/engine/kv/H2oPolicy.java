package dev.chelsea.engine.kv;

import java.util.Set;

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
public final class H2oPolicy extends BudgetedPolicy {

    public H2oPolicy(KvCacheConfig config, int layers) {
        this(config, layers, 0);
    }

    /** Under {@code config}'s limit in bytes, at {@code bytesPerSlot} a slot of every layer and KV head (0: no limit). */
    public H2oPolicy(KvCacheConfig config, int layers, long bytesPerSlot) {
        super(config, layers, bytesPerSlot);
    }

    @Override
    public String name() {
        return "h2o";
    }

    @Override
    public Set<KvStore.Feature> requires() {
        return Set.of(KvStore.Feature.EVICT, KvStore.Feature.ATTENTION_SCORES, KvStore.Feature.HOST_READ);
    }

    @Override
    public KvStoreSpec storeSpec() {
        return new KvStoreSpec(false, false, true, 0, spareSlots());
    }

    @Override
    public boolean scoresAttention(boolean inPrompt) {
        return true;
    }

    /** No slack: evicting one entry is cheap, and this policy evicts every step. */
    @Override
    public int slack() {
        return 0;
    }

    @Override
    public KvPlan plan(KvStore store, int[] targets, boolean endOfPrompt) {
        HostKvStore host = (HostKvStore) store;
        int heads = store.layout().kvHeads();
        return new KvPlan(perLayer(targets, l -> {
            int n = store.slots(l);
            int k = n - targets[l];
            int end = n - Math.min(config.recentWindow(), n);
            if (k > end) {
                throw new IllegalStateException("h2o: budget " + targets[l] + " is smaller than the recent window " + config.recentWindow());
            }
            int[][] victims = new int[heads][k];
            for (int h = 0; h < heads; h++) {
                float[] acc = host.scores(l, h);
                lowest(j -> floatKey(acc[j]), 0, end, k, victims[h]);
            }
            return new KvPlan.Evict(victims, end);
        }), false);
    }
}
