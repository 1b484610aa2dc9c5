package dev.chelsea.engine.generate;

import dev.chelsea.engine.kv.KvCacheConfig;

import java.util.List;

/**
 * One generation: a prompt already turned into tokens (see {@code ChatTemplate} for messages),
 * how to sample, when to stop, and which KV cache policy to use.
 *
 * @param maxTokens   most tokens to generate (at least 1)
 * @param stopStrings strings that end generation; they are not part of the result
 * @param cachePrefix leading prompt tokens that later requests may share (a system prompt with a
 *                    document): a generator with a prompt cache stores their KV cache, compressed
 *                    at their end, for those requests. 0: nothing worth sharing
 */
public record GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stopStrings,
                                KvCacheConfig kvCache, int cachePrefix) {
    public GenerationRequest {
        if (promptTokens == null || promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens must be at least 1, got " + maxTokens);
        }
        sampling = sampling == null ? SamplingParams.GREEDY : sampling;
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
        kvCache = kvCache == null ? KvCacheConfig.full() : kvCache;
        if (cachePrefix < 0 || cachePrefix > promptTokens.length) {
            throw new IllegalArgumentException("the cached prefix must be between 0 and the " + promptTokens.length
                    + " prompt tokens, got " + cachePrefix);
        }
    }

    /** A request with no prefix to share. */
    public GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stopStrings, KvCacheConfig kvCache) {
        this(promptTokens, sampling, maxTokens, stopStrings, kvCache, 0);
    }
}
