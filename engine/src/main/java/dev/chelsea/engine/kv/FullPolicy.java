package dev.chelsea.engine.kv;

import java.util.Set;

/** The baseline: keeps every token. */
public final class FullPolicy implements KvPolicy {

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
