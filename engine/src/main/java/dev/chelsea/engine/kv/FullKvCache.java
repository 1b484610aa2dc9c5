package dev.chelsea.engine.kv;

/** The baseline: keeps every token. */
public final class FullKvCache extends DenseKvCache {
    public FullKvCache(KvLayout layout, int maxTokens) {
        super(layout, maxTokens, false, false);
    }

    @Override
    public String policy() {
        return "full";
    }

    @Override
    protected boolean compress(boolean endOfPrompt) {
        return false;
    }
}
