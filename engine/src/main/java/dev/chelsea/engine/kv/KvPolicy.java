package dev.chelsea.engine.kv;

import java.util.Set;

/**
 * A KV cache policy: decides what a sequence's cache keeps, and only decides. It plans in terms
 * of slots ({@link KvPlan}); the backend's {@link KvStore} applies the plan, so one policy drives
 * a CPU and a GPU store. When to compress is the {@link KvCache}'s: after each prompt, and during
 * decoding once a layer holds more than its budget plus {@link #slack()} slots.
 *
 * <p>A policy may keep state between plans (none of the current ones do beyond the store's).
 */
public interface KvPolicy {

    /** The name used in configuration ({@code full}, {@code chelsea}, ...). */
    String name();

    /** What the store must support; a backend whose store lacks one refuses the policy with a clear message. */
    Set<KvStore.Feature> requires();

    /** What the store must keep for this policy. */
    KvStoreSpec storeSpec();

    /** Whether the attention each slot receives is accumulated now ({@code inPrompt}: the first prompt is being read). */
    default boolean scoresAttention(boolean inPrompt) {
        return false;
    }

    /**
     * Slots a layer may exceed its budget by during decoding before it is compressed, so that
     * amortised policies work once every {@code slack} tokens; negative for a policy that never
     * compresses.
     */
    int slack();

    /**
     * Most slots a layer may hold at once (per KV head) under the configuration's limit in bytes
     * ({@link KvCacheConfig#maxBytes()}), compressions pending included; {@link Integer#MAX_VALUE}
     * without one. A compressing policy's budget stays below it by its slack plus one slot.
     */
    default int maxSlots() {
        return Integer.MAX_VALUE;
    }

    /** Slots {@code layer} may keep (per KV head) once {@code tokens} tokens have been seen. */
    int budget(int layer, int tokens);

    /**
     * Plans the compression of every layer whose {@code targets[layer]} is not negative down to
     * about that many slots. {@code endOfPrompt} tells a prompt-end compression from a decode-time
     * one. Reads the store, never changes it.
     */
    KvPlan plan(KvStore store, int[] targets, boolean endOfPrompt);
}
