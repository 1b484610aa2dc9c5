package dev.chelsea.quarkus.runtime.config;

import io.quarkus.runtime.annotations.ConfigGroup;
import io.smallrye.config.WithDefault;

/** One model: the chat model settings and its KV cache. */
@ConfigGroup
public interface ModelConfig {

    /** Chat model settings. */
    ChatModelConfig chatModel();

    /** KV cache settings. */
    KvCacheConfig kvCache();

    /** Prompt cache settings. */
    PromptCacheConfig promptCache();

    /** Whether to enable the model; when {@code false} it is not loaded and every request fails. */
    @WithDefault("true")
    boolean enableIntegration();
}
