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
 */
public record GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stopStrings,
                                KvCacheConfig kvCache, TokenConstraint constraint) {

    public GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stopStrings,
                             KvCacheConfig kvCache) {
        this(promptTokens, sampling, maxTokens, stopStrings, kvCache, null);
    }

    /** This request with output restricted by {@code newConstraint} (null: unrestricted). */
    public GenerationRequest withConstraint(TokenConstraint newConstraint) {
        return new GenerationRequest(promptTokens, sampling, maxTokens, stopStrings, kvCache, newConstraint);
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
    }
}
