package dev.chelsea.engine.kv;

/** Creates the cache a configuration names. */
public final class KvCaches {
    private KvCaches() {
    }

    public static KvCache create(KvCacheConfig config, KvLayout layout, int maxTokens) {
        return switch (config.policy()) {
            case "full" -> new FullKvCache(layout, maxTokens);
            default -> throw new IllegalArgumentException("KV cache policy '" + config.policy() + "' is not available yet");
        };
    }
}
