package dev.chelsea.engine.kv;

/**
 * A policy that drops whole entries and holds exactly its budget after every committed batch, as
 * StreamingLLM and H2O do. The recent window ({@code recentWindow} newest slots) is always kept
 * and stays in temporal order; below it, order does not matter to these policies, so an evicted
 * slot is refilled from the end of that region ({@link #evictUnordered}) and a step costs
 * {@code O(window)} moves rather than a shift of the whole cache.
 */
abstract class EvictingKvCache extends BudgetedKvCache {

    protected EvictingKvCache(KvCacheConfig config, KvLayout layout, int maxTokens, boolean trackScores) {
        super(config, layout, maxTokens, false, trackScores);
    }

    /** No slack: evicting one entry is cheap, and these policies evict every step. */
    @Override
    protected final int slack() {
        return 0;
    }

    /**
     * Chooses {@code k} slots of one head to drop among {@code [0, end)} (everything below the
     * recent window) and writes them, strictly ascending, into {@code victims}.
     */
    protected abstract void chooseVictims(int layer, int head, int end, int k, int[] victims);

    @Override
    protected final int compressHead(int layer, int head, int target, boolean endOfPrompt) {
        int n = slots(layer);
        int k = n - target;
        int end = n - Math.min(config.recentWindow(), n);
        if (k > end) {
            throw new IllegalStateException(policy() + ": budget " + target + " is smaller than the recent window " + config.recentWindow());
        }
        int[] victims = new int[k];
        chooseVictims(layer, head, end, k, victims);
        evictUnordered(layer, head, victims, k, end);
        return target;
    }
}
