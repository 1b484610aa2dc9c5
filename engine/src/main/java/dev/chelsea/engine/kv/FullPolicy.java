package dev.chelsea.engine.kv;

import java.util.Set;

/**
 * The baseline: keeps every token. Under a limit in bytes the context a sequence may use is the
 * tokens that fit ({@link #maxSlots()}); the cache refuses more, it never drops any.
 */
public final class FullPolicy implements KvPolicy {
    private final int maxSlots;

    public FullPolicy() {
        this.maxSlots = Integer.MAX_VALUE;
    }

    /** The full cache under {@code config}'s limit in bytes, at {@code bytesPerSlot} a slot (0: no limit). */
    public FullPolicy(KvCacheConfig config, int layers, long bytesPerSlot) {
        this.maxSlots = KvPolicies.slotsThatFit(config, bytesPerSlot, 1, "one token");
    }

    @Override
    public int maxSlots() {
        return maxSlots;
    }

    @Override
    public String name() {
        return "full";
    }

    @Override
    public Set<KvStore.Feature> requires() {
        return Set.of();
    }

    @Override
    public KvStoreSpec storeSpec() {
        return KvStoreSpec.appendOnly();
    }

    @Override
    public int slack() {
        return -1;
    }

    @Override
    public int budget(int layer, int tokens) {
        return tokens;
    }

    @Override
    public KvPlan plan(KvStore store, int[] targets, boolean endOfPrompt) {
        throw new IllegalStateException("the full cache never compresses");
    }
}
