package dev.chelsea.engine.kv;

/** The budget shared by every compressing policy: a kept ratio or slot count, uniform or pyramid over layers. */
abstract class BudgetedPolicy implements KvPolicy {
    protected final KvCacheConfig config;
    private final KvBudget budget;

    BudgetedPolicy(KvCacheConfig config, int layers) {
        this.config = config;
        this.budget = new KvBudget(config, layers);
    }

    @Override
    public final int budget(int layer, int tokens) {
        return budget.of(layer, tokens);
    }

    /** Free slots the store keeps after a compression: the slack plus one chunk, so that decoding rarely reallocates. */
    protected final int spareSlots() {
        return slack() + config.chunkSize();
    }

    /** One plan entry per layer, from a per-layer planner; null where the target is negative. */
    protected static KvPlan.Layer[] perLayer(int[] targets, java.util.function.IntFunction<KvPlan.Layer> planner) {
        KvPlan.Layer[] layers = new KvPlan.Layer[targets.length];
        for (int l = 0; l < targets.length; l++) {
            if (targets[l] >= 0) {
                layers[l] = planner.apply(l);
            }
        }
        return layers;
    }
}
