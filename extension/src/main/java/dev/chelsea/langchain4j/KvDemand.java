package dev.chelsea.langchain4j;

import dev.chelsea.engine.backend.Backend;
import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvPolicies;
import dev.chelsea.engine.kv.KvPolicy;
import dev.chelsea.engine.model.Model;

/**
 * What one request can hold of its backend's memory pool: its KV cache at its largest, as the
 * backend stores it ({@link Backend#kvBytesFor}), and its scratch for one prefill batch.
 *
 * <p>How many slots a cache holds at most: the full cache, every token of the prompt and the
 * answer; a compressing policy, its budget at the last token plus the slack it may run over before
 * compressing again, but never less than the whole prompt, because a prompt is read over its full
 * KV before the policy compresses it (see {@code KvCache}). So compression bounds a request with a
 * short prompt and a long answer, not one whose prompt fills the context, unless prompts are read
 * in compressed pieces or a limit in bytes caps the cache: a cache never holds more than its
 * capacity ({@link KvCache#capacity}), which is also what a store that allocates up front takes.
 */
public final class KvDemand {
    private KvDemand() {
    }

    /**
     * Tokens one request may use, its prompt and its answer: the model's context, or fewer for the
     * full cache under a limit in bytes ({@link KvCacheConfig#maxBytes()}), the tokens that fit.
     */
    public static int context(Model model, KvCacheConfig kv) {
        KvPolicy policy = KvPolicies.create(kv, model.config().layers(), spec -> model.backend().kvBytesPerSlot(spec, kv.kvType()));
        return policy.slack() < 0 ? Math.min(model.contextLength(), policy.maxSlots()) : model.contextLength();
    }

    /** Bytes a request of {@code promptTokens} that may write {@code maxNewTokens} holds at most. */
    public static long ofRequest(Model model, KvCacheConfig kv, int promptTokens, int maxNewTokens) {
        int ctx = model.contextLength();
        int total = (int) Math.min(ctx, (long) promptTokens + maxNewTokens);
        return bytes(model, kv, Math.min(promptTokens, total), total);
    }

    /**
     * The most a request with a short prompt holds over the whole context: the full cache of the
     * context, or a compressing policy's budget. The startup check multiplies it by the requests
     * that run at once.
     */
    public static long steady(Model model, KvCacheConfig kv) {
        return bytes(model, kv, 0, model.contextLength());
    }

    /** The most any one request holds: a prompt that fills the context is read over its full KV. */
    public static long longest(Model model, KvCacheConfig kv) {
        int ctx = model.contextLength();
        return bytes(model, kv, ctx, ctx);
    }

    private static long bytes(Model model, KvCacheConfig kv, int promptTokens, int totalTokens) {
        int layers = model.config().layers();
        Backend backend = model.backend();
        int ctx = model.contextLength();
        KvPolicy policy = KvPolicies.create(kv, layers, spec -> backend.kvBytesPerSlot(spec, kv.kvType()));
        int capacity = KvCache.capacity(policy, kv, layers, ctx);
        int held = totalTokens;
        if (policy.slack() >= 0) {
            int budget = 0;
            for (int l = 0; l < layers; l++) {
                budget = Math.max(budget, policy.budget(l, totalTokens));
            }
            held = Math.min(totalTokens, Math.max(promptTokens, budget + policy.slack() + 1));
        }
        int slots = Math.min(capacity, Math.min(held, capacity) + Math.max(0, policy.storeSpec().spareSlots()));
        return backend.kvBytesFor(policy.storeSpec(), kv.kvType(), capacity, Math.max(1, slots)) + backend.scratchBytes(Math.min(ctx, backend.maxBatch()));
    }
}
