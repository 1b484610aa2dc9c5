package dev.chelsea.engine.kv;

import java.util.List;

/**
 * How a sequence's KV cache is managed. A budget is either a kept ratio of the tokens seen
 * ({@code keptRatio}, e.g. 0.2 keeps 20%) or an absolute number of slots ({@code budget} > 0, which
 * wins when both are given).
 *
 * @param policy       {@code full}, {@code chelsea}, {@code streaming}, {@code h2o} or {@code snapkv}
 * @param keptRatio    fraction of tokens kept, in (0, 1]
 * @param budget       absolute slot budget per layer and KV head; 0 means use {@code keptRatio}
 * @param chunkSize    Chelsea chunk size (tokens per chunk, at least 2); also the slack over budget
 *                     that amortised policies allow before compressing again during decoding
 * @param sinkTokens   leading tokens never compressed
 * @param recentWindow trailing tokens never compressed
 * @param sizeBias     add log(cluster size) to attention logits (degree correction)
 * @param layerBudgets {@code uniform} (every layer gets the budget) or {@code pyramid} (lower layers
 *                     get more, upper layers less, same total; PyramidKV's schedule)
 * @param globalTopK   Chelsea only: rank merge edges across all chunks of a pass instead of taking
 *                     the same number from every chunk (hits the budget exactly)
 * @param promptChunk  0 (the default): a prompt is read whole, then compressed to its budget, so its
 *                     KV peaks at the full prompt. N > 0: a long prompt is read N tokens at a time and
 *                     compressed to the budget of the tokens read so far after each piece, so the KV
 *                     held stays near budget + N (later pieces attend over the compressed cache: an
 *                     approximation of the method, measured by {@code bin/chelsea prompt-chunks})
 * @param kvType       how keys and values are stored ({@code f32} or {@code f16}); a backend that
 *                     keeps one type only (CUDA: f16) ignores it
 * @param maxBytes     0 (the default): no limit in bytes. N > 0: the KV cache of one sequence never
 *                     holds more than N bytes of keys, values and slot metadata as its backend
 *                     stores them (f32 or f16 on the CPU, f16 with positions and log sizes on CUDA;
 *                     see {@code Backend.kvBytesPerSlot}). A compressing policy keeps as many slots
 *                     as fit: its budget per layer and KV head is the slots that fit minus the slack
 *                     it runs over before compressing again, and the smaller of that and the
 *                     {@code keptRatio}/{@code budget} budget wins. A prompt that would push the store
 *                     beyond N is compressed to the budget of the tokens read so far before the next
 *                     piece is read (a prompt that fits is read whole). Under {@code full} the
 *                     context a sequence may use is what fits: a prompt or generation beyond it fails.
 *                     Too small for sinks + recent window + slack fails when the policy is made, with
 *                     the minimum in bytes.
 */
public record KvCacheConfig(String policy, double keptRatio, int budget, int chunkSize, int sinkTokens,
                            int recentWindow, boolean sizeBias, String layerBudgets, boolean globalTopK, int promptChunk,
                            KvType kvType, long maxBytes) {
    public static final List<String> POLICIES = KvPolicies.names();
    public static final List<String> LAYER_BUDGETS = List.of("uniform", "pyramid");
    public static final String DEFAULT_POLICY = "chelsea";
    public static final double DEFAULT_KEPT_RATIO = 0.5;
    public static final int DEFAULT_CHUNK_SIZE = 64;
    public static final int DEFAULT_SINK_TOKENS = 4;
    public static final int DEFAULT_RECENT_WINDOW = 64;
    public static final String DEFAULT_LAYER_BUDGETS = "uniform";
    /**
     * Half floats by default, as llama.cpp's cache: half the memory, no measurable quality cost
     * ({@code compare} on stories260K), and faster decode at long context (16K tokens of a
     * Llama-3.2-1B shape: 9.55 against 9.05 t/s full, 24.5 against 15.2 chelsea at 0.2; see
     * docs/performance.md).
     */
    public static final KvType DEFAULT_KV_TYPE = KvType.F16;

    public KvCacheConfig {
        if (policy == null || !POLICIES.contains(policy)) {
            throw new IllegalArgumentException("unknown KV cache policy '" + policy + "' (known: " + String.join(", ", POLICIES) + ")");
        }
        if (!(keptRatio > 0 && keptRatio <= 1)) {
            throw new IllegalArgumentException("kept ratio must be in (0, 1], got " + keptRatio);
        }
        if (budget < 0) {
            throw new IllegalArgumentException("budget must be 0 (use the kept ratio) or positive, got " + budget);
        }
        if (chunkSize < 2) {
            throw new IllegalArgumentException("chunk size must be at least 2, got " + chunkSize);
        }
        if (sinkTokens < 0 || recentWindow < 0) {
            throw new IllegalArgumentException("sink tokens and recent window must not be negative, got " + sinkTokens + " and " + recentWindow);
        }
        if (budget > 0 && budget < sinkTokens + recentWindow) {
            throw new IllegalArgumentException("budget " + budget + " is smaller than sink tokens + recent window ("
                    + sinkTokens + " + " + recentWindow + ")");
        }
        if (layerBudgets == null || !LAYER_BUDGETS.contains(layerBudgets)) {
            throw new IllegalArgumentException("unknown per-layer budget schedule '" + layerBudgets + "' (known: "
                    + String.join(", ", LAYER_BUDGETS) + ")");
        }
        if (promptChunk != 0 && promptChunk < chunkSize) {
            throw new IllegalArgumentException("prompt chunk must be 0 (compress a prompt once it is read) or at least the chunk size ("
                    + chunkSize + "), got " + promptChunk);
        }
        if (kvType == null) {
            throw new IllegalArgumentException("KV type must be one of " + String.join(", ", KvType.names()) + ", got none");
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("KV max bytes must be 0 (no limit) or positive, got " + maxBytes);
        }
    }

    /** The configuration without a limit in bytes. */
    public KvCacheConfig(String policy, double keptRatio, int budget, int chunkSize, int sinkTokens,
                         int recentWindow, boolean sizeBias, String layerBudgets, boolean globalTopK, int promptChunk,
                         KvType kvType) {
        this(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, promptChunk, kvType, 0);
    }

    /** The configuration without prompt chunking, keys and values in the default type. */
    public KvCacheConfig(String policy, double keptRatio, int budget, int chunkSize, int sinkTokens,
                         int recentWindow, boolean sizeBias, String layerBudgets, boolean globalTopK) {
        this(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, 0, DEFAULT_KV_TYPE);
    }

    /** The configuration with keys and values in the default type. */
    public KvCacheConfig(String policy, double keptRatio, int budget, int chunkSize, int sinkTokens,
                         int recentWindow, boolean sizeBias, String layerBudgets, boolean globalTopK, int promptChunk) {
        this(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, promptChunk, DEFAULT_KV_TYPE);
    }

    /** The configuration without prompt chunking. */
    public KvCacheConfig(String policy, double keptRatio, int budget, int chunkSize, int sinkTokens,
                         int recentWindow, boolean sizeBias, String layerBudgets, boolean globalTopK, KvType kvType) {
        this(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, 0, kvType);
    }

    /** The configuration without the extensions (uniform layer budgets, per-chunk edge ranking). */
    public KvCacheConfig(String policy, double keptRatio, int budget, int chunkSize, int sinkTokens,
                         int recentWindow, boolean sizeBias) {
        this(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, DEFAULT_LAYER_BUDGETS, false, DEFAULT_KV_TYPE);
    }

    public static KvCacheConfig full() {
        return new KvCacheConfig("full", 1.0, 0, DEFAULT_CHUNK_SIZE, DEFAULT_SINK_TOKENS, DEFAULT_RECENT_WINDOW, true);
    }

    public static KvCacheConfig defaults() {
        return new KvCacheConfig(DEFAULT_POLICY, DEFAULT_KEPT_RATIO, 0, DEFAULT_CHUNK_SIZE, DEFAULT_SINK_TOKENS, DEFAULT_RECENT_WINDOW, true);
    }

    public KvCacheConfig withPolicy(String p) {
        return new KvCacheConfig(p, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, promptChunk, kvType, maxBytes);
    }

    public KvCacheConfig withKeptRatio(double r) {
        return new KvCacheConfig(policy, r, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, promptChunk, kvType, maxBytes);
    }

    public KvCacheConfig withBudget(int b) {
        return new KvCacheConfig(policy, keptRatio, b, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, promptChunk, kvType, maxBytes);
    }

    public KvCacheConfig withChunkSize(int c) {
        return new KvCacheConfig(policy, keptRatio, budget, c, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, promptChunk, kvType, maxBytes);
    }

    public KvCacheConfig withSinkTokens(int s) {
        return new KvCacheConfig(policy, keptRatio, budget, chunkSize, s, recentWindow, sizeBias, layerBudgets, globalTopK, promptChunk, kvType, maxBytes);
    }

    public KvCacheConfig withRecentWindow(int w) {
        return new KvCacheConfig(policy, keptRatio, budget, chunkSize, sinkTokens, w, sizeBias, layerBudgets, globalTopK, promptChunk, kvType, maxBytes);
    }

    public KvCacheConfig withSizeBias(boolean on) {
        return new KvCacheConfig(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, on, layerBudgets, globalTopK, promptChunk, kvType, maxBytes);
    }

    public KvCacheConfig withLayerBudgets(String schedule) {
        return new KvCacheConfig(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, schedule, globalTopK, promptChunk, kvType, maxBytes);
    }

    public KvCacheConfig withGlobalTopK(boolean on) {
        return new KvCacheConfig(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, on, promptChunk, kvType, maxBytes);
    }

    public KvCacheConfig withPromptChunk(int tokens) {
        return new KvCacheConfig(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, tokens, kvType, maxBytes);
    }

    public KvCacheConfig withKvType(KvType t) {
        return new KvCacheConfig(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, promptChunk, t, maxBytes);
    }

    /** The same configuration with a limit of {@code bytes} on one sequence's KV cache (0: none). */
    public KvCacheConfig withMaxBytes(long bytes) {
        return new KvCacheConfig(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow, sizeBias, layerBudgets, globalTopK, promptChunk, kvType, bytes);
    }
}
