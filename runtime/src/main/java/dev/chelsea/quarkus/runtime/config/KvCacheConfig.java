package dev.chelsea.quarkus.runtime.config;

import io.quarkus.runtime.annotations.ConfigGroup;

import static dev.chelsea.engine.kv.KvCacheConfig.DEFAULT_CHUNK_SIZE;
import static dev.chelsea.engine.kv.KvCacheConfig.DEFAULT_KEPT_RATIO;
import static dev.chelsea.engine.kv.KvCacheConfig.DEFAULT_LAYER_BUDGETS;
import static dev.chelsea.engine.kv.KvCacheConfig.DEFAULT_POLICY;
import static dev.chelsea.engine.kv.KvCacheConfig.DEFAULT_RECENT_WINDOW;
import static dev.chelsea.engine.kv.KvCacheConfig.DEFAULT_SINK_TOKENS;
import io.smallrye.config.WithDefault;

/** How each request's KV cache is managed (see the engine's {@code KvCacheConfig}). */
@ConfigGroup
public interface KvCacheConfig {

    /**
     * {@code chelsea} (merges similar keys chunk by chunk), {@code full} (keeps everything),
     * {@code streaming}, {@code h2o} or {@code snapkv}.
     */
    @WithDefault(DEFAULT_POLICY)
    String policy();

    /** Fraction of the tokens kept by a compressing policy, in (0, 1]. */
    @WithDefault("" + DEFAULT_KEPT_RATIO)
    double keptRatio();

    /** Slots kept per layer and KV head; 0 uses {@code kept-ratio}. */
    @WithDefault("0")
    int budget();

    /** Tokens per chunk for the {@code chelsea} policy (at least 2). */
    @WithDefault("" + DEFAULT_CHUNK_SIZE)
    int chunkSize();

    /** Leading tokens never compressed. */
    @WithDefault("" + DEFAULT_SINK_TOKENS)
    int sinkTokens();

    /** Trailing tokens never compressed. */
    @WithDefault("" + DEFAULT_RECENT_WINDOW)
    int recentWindow();

    /** Add log(cluster size) to attention logits of merged entries. */
    @WithDefault("true")
    boolean sizeBias();

    /**
     * How the budget is spread over the layers: {@code uniform} (every layer the same) or
     * {@code pyramid} (lower layers keep more, upper layers less, the same total).
     */
    @WithDefault(DEFAULT_LAYER_BUDGETS)
    String layerBudgets();

    /**
     * {@code chelsea} only: rank merges across all chunks of a pass instead of taking the same
     * number from every chunk (meets the budget exactly).
     */
    @WithDefault("false")
    boolean globalTopk();
}
