package dev.chelsea.langchain4j;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;

/** Fails at build time, not on the first request, when a KV cache policy cannot run with a model. */
final class KvCacheCheck {
    private KvCacheCheck() {
    }

    static void check(KvCacheConfig kv, Model model) {
        if (kv == null) {
            throw new IllegalArgumentException("kvCache must not be null");
        }
        try {
            model.checkKvCache(kv);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("KV cache policy '" + kv.policy() + "' cannot be used with model '"
                    + model.name() + "': " + e.getMessage(), e);
        }
    }
}
