package dev.chelsea.quarkus.runtime.config;

import dev.chelsea.langchain4j.PromptCacheOptions;
import io.quarkus.runtime.annotations.ConfigGroup;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The model's prompt cache: the KV cache of conversation starts (everything before the last user
 * message, such as a system prompt with a document) kept for the requests that begin the same way,
 * so that they read only their own tokens. One per configured model: entries hold for its weights
 * and KV settings only.
 */
@ConfigGroup
public interface PromptCacheConfig {

    /**
     * Whether to cache conversation starts. Under the {@code full} KV policy answers are the same
     * as without the cache; under a compressing policy the start is compressed where it ends, as
     * a prompt of exactly those tokens would be, and later tokens attend to that.
     */
    @WithDefault("false")
    boolean enabled();

    /**
     * Most bytes the cached starts hold together (JVM heap on the CPU, which must have room for
     * it; device memory on a GPU); the least recently used are dropped beyond it.
     */
    @WithDefault("512M")
    MemorySize maxBytes();

    /** The shortest conversation start worth caching, in tokens. */
    @WithDefault("" + PromptCacheOptions.DEFAULT_MIN_TOKENS)
    int minTokens();

    /**
     * A file that keeps the cache across restarts: read at startup (a file written for another
     * model file, backend or format version is ignored with a warning) and replaced at shutdown.
     * Default: the cache lives in memory only.
     */
    Optional<Path> file();
}
