package dev.chelsea.engine.generate;

import dev.chelsea.engine.kv.KvCacheConfig;

import java.util.List;

/**
 * One generation: a prompt already turned into tokens (see {@code ChatTemplate} for messages),
 * how to sample, when to stop, and which KV cache policy to use.
 *
 * @param maxTokens   most tokens to generate (at least 1)
 * @param stopStrings strings that end generation; they are not part of the result
 * @param constraint  which tokens may be generated (a JSON grammar, say), or null for any
 * @param cachePrefix leading prompt tokens that later requests may share (a system prompt with a
 *                    document): a generator with a prompt cache stores their KV cache, compressed
 *                    at their end, for those requests. 0: nothing worth sharing
 */
public record GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stopStrings,
                                KvCacheConfig kvCache, TokenConstraint constraint, int cachePrefix) {

    public GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stopStrings,
                             KvCacheConfig kvCache) {
        this(promptTokens, sampling, maxTokens, stopStrings, kvCache, null, 0);
    }

    public GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stopStrings,
                             KvCacheConfig kvCache, TokenConstraint constraint) {
        this(promptTokens, sampling, maxTokens, stopStrings, kvCache, constraint, 0);
    }

    /** This request with output restricted by {@code newConstraint} (null: unrestricted). */
    public GenerationRequest withConstraint(TokenConstraint newConstraint) {
        return new GenerationRequest(promptTokens, sampling, maxTokens, stopStrings, kvCache, newConstraint, cachePrefix);
    }

    /** This request with its first {@code tokens} prompt tokens offered to a prompt cache. */
    public GenerationRequest withCachePrefix(int tokens) {
        return new GenerationRequest(promptTokens, sampling, maxTokens, stopStrings, kvCache, constraint, tokens);
    }

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
}
