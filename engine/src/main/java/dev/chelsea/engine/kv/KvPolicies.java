package dev.chelsea.engine.kv;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/** The policies by name: adding a policy is one class and one line here. */
public final class KvPolicies {
    private static final Map<String, BiFunction<KvCacheConfig, Integer, KvPolicy>> FACTORIES = new LinkedHashMap<>();

    static {
        FACTORIES.put("full", (c, layers) -> new FullPolicy());
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

    /** The policy a configuration names, for a model of {@code layers} layers. */
    public static KvPolicy create(KvCacheConfig config, int layers) {
        BiFunction<KvCacheConfig, Integer, KvPolicy> f = FACTORIES.get(config.policy());
        if (f == null) {
            throw new IllegalArgumentException("unknown KV cache policy '" + config.policy() + "' (known: " + String.join(", ", names()) + ")");
        }
        return f.apply(config, layers);
    }
}
