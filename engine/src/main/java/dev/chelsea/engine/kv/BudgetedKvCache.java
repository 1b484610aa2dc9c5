package dev.chelsea.engine.kv;

/**
 * A policy that compresses each layer down to its budget, one (layer, KV head) at a time, in
 * parallel. After the prompt it compresses as soon as a layer is over budget; during decoding only
 * once a layer exceeds its budget plus {@link #slack()} slots, so that amortised policies do their
 * work once every {@code slack} tokens instead of every token.
 */
abstract class BudgetedKvCache extends DenseKvCache {
    protected final KvCacheConfig config;
    protected final KvBudget budget;

    protected BudgetedKvCache(KvCacheConfig config, KvLayout layout, int maxTokens, boolean trackSizes, boolean trackScores) {
        super(layout, maxTokens, trackSizes, config.sizeBias(), trackScores);
        this.config = config;
        this.budget = new KvBudget(config, layout.layers());
    }

    /** Slots a layer may exceed its budget by during decoding before it is compressed. */
    protected abstract int slack();

    /**
     * Compresses one KV head of {@code layer} (holding {@link #slots} slots) to at most
     * {@code target} slots and returns how many it now holds. Every head of a layer must return
     * the same count. Runs on worker threads, one task per (layer, head).
     */
    protected abstract int compressHead(int layer, int head, int target, boolean endOfPrompt);

    /** Budget of {@code layer} at the current position. */
    public final int budget(int layer) {
        return budget.of(layer, position());
    }

    @Override
    protected int spareSlots() {
        return slack() + config.chunkSize();
    }

    @Override
    protected final boolean compress(boolean endOfPrompt) {
        int layers = layout.layers(), kvHeads = layout.kvHeads();
        int[] target = new int[layers];
        boolean any = false;
        for (int l = 0; l < layers; l++) {
            int b = budget(l);
            target[l] = slots(l) > b + (endOfPrompt ? 0 : slack()) ? b : -1;
            any |= target[l] >= 0;
        }
        if (!any) {
            return false;
        }
        int[] kept = new int[layers * kvHeads];
        parallel().forEach(layers * kvHeads, task -> {
            int l = task / kvHeads;
            if (target[l] >= 0) {
                kept[task] = compressHead(l, task % kvHeads, target[l], endOfPrompt);
            }
        });
        for (int l = 0; l < layers; l++) {
            if (target[l] < 0) {
                continue;
            }
            for (int h = 1; h < kvHeads; h++) {
                if (kept[l * kvHeads + h] != kept[l * kvHeads]) {
                    throw new IllegalStateException(policy() + ": KV heads of layer " + l + " kept different slot counts ("
                            + kept[l * kvHeads] + " and " + kept[l * kvHeads + h] + ")");
                }
            }
            setSlots(l, kept[l * kvHeads]);
        }
        trim();
        return true;
    }
}
