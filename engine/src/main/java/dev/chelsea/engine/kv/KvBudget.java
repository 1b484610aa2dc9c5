package dev.chelsea.engine.kv;

/**
 * Slots a layer may keep (per KV head) after compressing, given the tokens seen so far. The budget
 * counts every slot, protected ones included, and never goes below sinks + recent window.
 *
 * <p>With the {@code pyramid} schedule (PyramidKV, arXiv 2406.02069, as in KVCache-Factory with
 * beta = 20), the compressible part of the budget falls linearly from the first layer to the last:
 * the last layer gets 1/beta of it and the first 2 - 1/beta, so the total over layers is unchanged.
 */
public final class KvBudget {
    private static final double PYRAMID_BETA = 20;

    private final KvCacheConfig config;
    private final int layers;
    private final int cap;

    public KvBudget(KvCacheConfig config, int layers) {
        this(config, layers, Integer.MAX_VALUE);
    }

    /**
     * {@code cap}: most slots any layer's budget may be (from a limit in bytes); it wins over the
     * ratio, slot count and pyramid share when smaller. Never below sinks + recent window.
     */
    public KvBudget(KvCacheConfig config, int layers, int cap) {
        if (layers <= 0) {
            throw new IllegalArgumentException("layers must be positive, got " + layers);
        }
        if (cap < config.sinkTokens() + config.recentWindow()) {
            throw new IllegalArgumentException("a budget cap of " + cap + " slots is below sink tokens + recent window ("
                    + config.sinkTokens() + " + " + config.recentWindow() + ")");
        }
        this.config = config;
        this.layers = layers;
        this.cap = cap;
    }

    /** Budget of {@code layer} once {@code tokens} original tokens have been seen. */
    public int of(int layer, int tokens) {
        int floor = config.sinkTokens() + config.recentWindow();
        // The epsilon keeps ceil(0.2 * 1000) at 200 despite 0.2 not being exact in binary.
        long base = config.budget() > 0 ? config.budget() : (long) Math.ceil(config.keptRatio() * tokens - 1e-9);
        base = Math.max(base, floor);
        if (!config.layerBudgets().equals("pyramid") || layers == 1) {
            return (int) Math.min(base, cap);
        }
        double min = 1 / PYRAMID_BETA;
        double max = 2 - min;
        double share = max - (max - min) * layer / (layers - 1);
        return (int) Math.min(cap, floor + Math.round((base - floor) * share));
    }
}
