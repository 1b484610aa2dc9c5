package dev.chelsea.quarkus.runtime.config;

import io.quarkus.runtime.annotations.ConfigDocDefault;
import io.quarkus.runtime.annotations.ConfigGroup;
import io.quarkus.runtime.configuration.MemorySize;

import java.util.Optional;

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

    /**
     * 0 (the default): a prompt is read whole, then compressed, so its KV peaks at the whole
     * prompt. N (at least {@code chunk-size}): a long prompt is read N tokens at a time and
     * compressed after each piece, so its KV stays near the budget plus N; later pieces then
     * attend over the compressed cache, which costs quality (docs/chelsea.md, "Reading a long
     * prompt in pieces").
     */
    @WithDefault("0")
    int promptChunk();

    /**
     * Most bytes of KV one request of this model holds, as its backend stores them (keys, values
     * and per-slot bookkeeping: in {@code kv-type} on the CPU, f16 on a GPU), e.g. {@code 2G}. A compressing
     * policy keeps as many slots as fit (the smaller of this and {@code kept-ratio}/{@code budget}
     * wins) and reads a longer prompt in compressed pieces; a GPU allocates only what fits. Under
     * {@code full} a request's context is the tokens that fit: a longer prompt or answer fails. Too
     * small for the sink tokens, the recent window and a chunk fails at startup, naming the least.
     */
    @ConfigDocDefault("no limit")
    Optional<MemorySize> maxBytes();

    /**
     * How the CPU stores keys and values: {@code f16} (half floats, as llama.cpp's cache: half the
     * memory of {@code f32}, no measurable quality cost, faster decode at long context) or
     * {@code f32}. A GPU stores f16 whatever this says.
     */
    @WithDefault("f16")
    String kvType();
}
