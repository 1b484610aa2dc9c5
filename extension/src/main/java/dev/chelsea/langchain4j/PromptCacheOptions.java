package dev.chelsea.langchain4j;

import java.nio.file.Path;

/**
 * The prompt cache of a chat model: KV caches of conversation starts (a system prompt with a
 * document) that later requests begin with, so that a follow-up question reads only its own tokens.
 * What is cached is everything before the last user message, compressed at its end by the chat
 * model's KV policy (as a prompt of exactly those tokens would be; with the {@code full} policy the
 * answers are those without a cache).
 *
 * @param enabled   whether to cache at all
 * @param maxBytes  most bytes the cached prefixes hold together (heap on the CPU, device memory on a
 *                  GPU); the least recently used are dropped beyond it
 * @param minTokens shortest conversation start worth caching
 * @param file      where the cache is kept across restarts (read when the model is loaded, written
 *                  when it is unloaded), or null to keep it in memory only
 */
public record PromptCacheOptions(boolean enabled, long maxBytes, int minTokens, Path file) {
    public static final long DEFAULT_MAX_BYTES = 512L << 20;
    public static final int DEFAULT_MIN_TOKENS = 64;

    /** No prompt cache. */
    public static PromptCacheOptions disabled() {
        return new PromptCacheOptions(false, DEFAULT_MAX_BYTES, DEFAULT_MIN_TOKENS, null);
    }

    /** A cache in memory with the default bound. */
    public static PromptCacheOptions inMemory() {
        return new PromptCacheOptions(true, DEFAULT_MAX_BYTES, DEFAULT_MIN_TOKENS, null);
    }
}
