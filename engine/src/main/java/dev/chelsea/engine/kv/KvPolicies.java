package dev.chelsea.engine.kv;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/** The policies by name: adding a policy is one class and one line here. */
public final class KvPolicies {
    /** Makes a policy for a model of {@code layers} layers whose store charges {@code bytesPerSlot} a slot (0: unknown, no limit in bytes). */
    private interface Factory {
        KvPolicy make(KvCacheConfig config, int layers, long bytesPerSlot);
    }

    private static final Map<String, Factory> FACTORIES = new LinkedHashMap<>();

    static {
        FACTORIES.put("full", FullPolicy::new);
        FACTORIES.put("chelsea", ChelseaPolicy::new);
        FACTORIES.put("streaming", StreamingPolicy::new);
        FACTORIES.put("h2o", H2oPolicy::new);
        FACTORIES.put("snapkv", SnapKvPolicy::new);
    }

    private KvPolicies() {
    }

    /** Every policy name, the baseline first. */
    public static List<String> names() {
        return List.copyOf(FACTORIES.keySet());
    }

    /**
     * The policy a configuration names, for a model of {@code layers} layers, without its limit in
     * bytes ({@link KvCacheConfig#maxBytes()} needs the store's bytes per slot): for its name, what
     * it requires and its store spec. A cache is made with {@link #create(KvCacheConfig, int, ToLongFunction)}.
     */
    public static KvPolicy create(KvCacheConfig config, int layers) {
        return factory(config).make(config, layers, 0);
    }

    /**
     * The policy a configuration names, with its limit in bytes when it has one: {@code bytesPerSlot}
     * gives what the backend's store charges one slot of every layer and KV head for the policy's
     * store spec (see {@code Backend.kvBytesPerSlot}). Fails when the limit is below the least the
     * policy needs, naming that least in bytes.
     */
    public static KvPolicy create(KvCacheConfig config, int layers, ToLongFunction<KvStoreSpec> bytesPerSlot) {
        Factory f = factory(config);
        if (config.maxBytes() == 0) {
            return f.make(config, layers, 0);
        }
        long perSlot = bytesPerSlot.applyAsLong(f.make(config, layers, 0).storeSpec());
        if (perSlot <= 0) {
            throw new IllegalArgumentException("bytes per KV slot must be positive, got " + perSlot);
        }
        return f.make(config, layers, perSlot);
    }

    private static Factory factory(KvCacheConfig config) {
        Factory f = FACTORIES.get(config.policy());
        if (f == null) {
            throw new IllegalArgumentException("unknown KV cache policy '" + config.policy() + "' (known: " + String.join(", ", names()) + ")");
        }
        return f;
    }

    /**
     * Slots per layer and KV head that fit in {@code config.maxBytes()} at {@code bytesPerSlot}
     * ({@link Integer#MAX_VALUE} without a limit or without the bytes per slot); fails below
     * {@code least}, naming the least in bytes.
     */
    static int slotsThatFit(KvCacheConfig config, long bytesPerSlot, int least, String why) {
        if (config.maxBytes() == 0 || bytesPerSlot <= 0) {
            return Integer.MAX_VALUE;
        }
        long slots = Math.min(Integer.MAX_VALUE - 1, config.maxBytes() / bytesPerSlot);
        if (slots < least) {
            throw new IllegalArgumentException("KV max-bytes " + config.maxBytes() + " is too small for policy '" + config.policy()
                    + "': it needs at least " + least * bytesPerSlot + " bytes (" + least + " slots of " + bytesPerSlot
                    + " bytes over all layers and KV heads: " + why + ")");
        }
        return (int) slots;
    }
}
