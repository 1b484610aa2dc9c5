package dev.chelsea.engine.kv;

/** Creates the cache a configuration names. */
public final class KvCaches {
    private KvCaches() {
    }

    public static KvCache create(KvCacheConfig config, KvLayout layout, int maxTokens) {
        return switch (config.policy()) {
            case "full" -> new FullKvCache(layout, maxTokens);
            case "chelsea" -> new ChelseaKvCache(config, layout, maxTokens);
            case "streaming" -> new StreamingKvCache(config, layout, maxTokens);
            case "h2o" -> new H2oKvCache(config, layout, maxTokens);
            case "snapkv" -> new SnapKvCache(config, layout, maxTokens);
            default -> throw new IllegalArgumentException("unknown KV cache policy '" + config.policy() + "' (known: "
                    + String.join(", ", KvCacheConfig.POLICIES) + ")");
        };
    }
}
