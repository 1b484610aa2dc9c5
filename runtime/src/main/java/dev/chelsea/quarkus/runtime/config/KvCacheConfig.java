package dev.chelsea.quarkus.runtime.config;

import io.quarkus.runtime.annotations.ConfigGroup;
import io.smallrye.config.WithDefault;

/** How each request's KV cache is managed (see the engine's {@code KvCacheConfig}). */
@ConfigGroup
public interface KvCacheConfig {

    /**
     * {@code chelsea} (merges similar keys chunk by chunk), {@code full} (keeps everything),
     * {@code streaming}, {@code h2o} or {@code snapkv}.
     */
    @WithDefault("chelsea")
    String policy();

    /** Fraction of the tokens kept by a compressing policy, in (0, 1]. */
    @WithDefault("0.5")
    double keptRatio();

    /** Slots kept per layer and KV head; 0 uses {@code kept-ratio}. */
    @WithDefault("0")
    int budget();

    /** Tokens per chunk for the {@code chelsea} policy (at least 2). */
    @WithDefault("64")
    int chunkSize();

    /** Leading tokens never compressed. */
    @WithDefault("4")
    int sinkTokens();

    /** Trailing tokens never compressed. */
    @WithDefault("64")
    int recentWindow();

    /** Add log(cluster size) to attention logits of merged entries. */
    @WithDefault("true")
    boolean sizeBias();
}
