package dev.chelsea.engine.kv;

import dev.chelsea.engine.kernel.Parallel;

/**
 * The KV cache of one sequence. The model appends post-RoPE keys and values layer by layer, asks
 * the cache for attention over what it holds, then commits the tokens. A policy decides what the
 * cache keeps (all of it, a window, merged centroids...); the model never knows which policy runs.
 *
 * <p>Within a layer every KV head holds the same number of slots. Positions are absolute and count
 * original tokens, so compressing never shifts the position of a new token.
 */
public interface KvCache {

    KvLayout layout();

    /** The policy's name as used in configuration ({@code full}, {@code chelsea}, ...). */
    String policy();

    /** Original tokens committed so far: the absolute position of the next token. */
    int position();

    /** Slots currently held by {@code layer}, including appended but not yet committed tokens. */
    int slots(int layer);

    /** Stores keys and values ({@code [n][kvHeads * headDim]}, keys already rotated) of {@code n} new tokens. */
    void append(int layer, float[] k, float[] v, int n);

    /**
     * Attention of the {@code n} tokens just appended to {@code layer}: query {@code i}
     * ({@code q} is {@code [n][heads * headDim]}) sees every slot held before this batch and the
     * batch's own slots {@code 0..i}. Writes {@code [n][heads * headDim]} into {@code out}.
     */
    void attend(int layer, float[] q, int n, int heads, float[] out, Parallel parallel);

    /**
     * The {@code n} tokens appended to every layer are complete. A policy may compress here
     * (decode-time trigger), but only once the first prompt has ended ({@link #endPrefill()}), so
     * that a prompt fed in several batches attends over all of itself. To compress online from the
     * first tokens (teacher-forced perplexity), call {@link #endPrefill()} after the first batch.
     */
    void commit(int n);

    /** The prompt is complete: a policy compresses down to its budget (prefill-time trigger). May be called again after later prompts. */
    void endPrefill();

    KvStats stats();

    /** Forgets everything; storage may be kept for reuse. */
    void clear();
}
