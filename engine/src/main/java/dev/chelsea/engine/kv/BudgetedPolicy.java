package dev.chelsea.engine.kv;

/** The budget shared by every compressing policy: a kept ratio or slot count, uniform or pyramid over layers. */
abstract class BudgetedPolicy implements KvPolicy {
    protected final KvCacheConfig config;
    private final KvBudget budget;
    private final int maxSlots;

    /**
     * {@code bytesPerSlot}: what the store charges one slot of every layer and KV head, which turns
     * {@link KvCacheConfig#maxBytes()} into slots (0: no limit in bytes). The budget then stays
     * below the slots that fit by the slack plus one, the most a layer holds before it is
     * compressed again (the decode trigger fires once a layer holds budget + slack + 1 slots).
     */
    BudgetedPolicy(KvCacheConfig config, int layers, long bytesPerSlot) {
        this.config = config;
        int floor = config.sinkTokens() + config.recentWindow();
        this.maxSlots = KvPolicies.slotsThatFit(config, bytesPerSlot, floor + slack() + 1,
                "sink tokens + recent window + slack + 1 = " + config.sinkTokens() + " + " + config.recentWindow() + " + " + slack() + " + 1");
        this.budget = new KvBudget(config, layers, maxSlots == Integer.MAX_VALUE ? Integer.MAX_VALUE : maxSlots - slack() - 1);
    }

    @Override
    public final int maxSlots() {
        return maxSlots;
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
