package dev.chelsea.engine.kv;

import java.util.List;
import java.util.Set;

/**
 * Chelsea, the default policy (CHELSEA.md §1.4, defaults of §6): per layer and KV head, the
 * post-RoPE keys between the protected sink tokens and the recent window are merged into
 * size-weighted centroids by chunked soft matching, in as many passes as the budget needs. Keys
 * and values of a cluster are averaged with the same weights (the sizes), sizes add up, and a
 * centroid stays in its destination's slot so temporal order is kept. Attention then adds
 * {@code log(size)} to a centroid's logit, which is exact for a cluster of identical entries.
 *
 * <p>Compresses after the prompt and, during decoding, whenever a layer exceeds its budget by more
 * than one chunk (so about once every chunk of new tokens). Centroids are never re-rotated; new
 * tokens keep their true absolute positions. The plan is arithmetic on slot counts: which keys
 * merge is computed by the store, next to the keys ({@link KvPlan.Merge}).
 */
public final class ChelseaPolicy extends BudgetedPolicy {

    public ChelseaPolicy(KvCacheConfig config, int layers) {
        this(config, layers, 0);
    }

    /** Under {@code config}'s limit in bytes, at {@code bytesPerSlot} a slot of every layer and KV head (0: no limit). */
    public ChelseaPolicy(KvCacheConfig config, int layers, long bytesPerSlot) {
        super(config, layers, bytesPerSlot);
    }

    @Override
    public String name() {
        return "chelsea";
    }

    @Override
    public Set<KvStore.Feature> requires() {
        return Set.of(KvStore.Feature.MERGE);
    }

    @Override
    public KvStoreSpec storeSpec() {
        return new KvStoreSpec(true, config.sizeBias(), false, 0, spareSlots());
    }

    @Override
    public int slack() {
        return config.chunkSize();
    }

    @Override
    public KvPlan plan(KvStore store, int[] targets, boolean endOfPrompt) {
        int sinks = config.sinkTokens(), window = config.recentWindow();
        return new KvPlan(perLayer(targets, l -> {
            int m = store.slots(l) - sinks - window;
            if (m <= 0) {
                return null;
            }
            List<ChunkedSoftMatching.Pass> passes = ChunkedSoftMatching.schedule(m, targets[l] - sinks - window,
                    config.chunkSize(), config.globalTopK());
            return passes.isEmpty() ? null : new KvPlan.Merge(sinks, m, config.chunkSize(), passes);
        }), false);
    }
}
