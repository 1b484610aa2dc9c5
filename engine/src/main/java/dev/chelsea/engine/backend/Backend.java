package dev.chelsea.engine.backend;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvStore;
import dev.chelsea.engine.kv.KvStoreSpec;
import dev.chelsea.engine.kv.KvType;

import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * One model running on one device: its weights bound or uploaded there, and the forward pass
 * over them. Thread-safe: any number of sequences may step at once, each from one thread (the
 * weights are shared, everything a step writes belongs to its sequence).
 *
 * <p>The forward pass takes a batch of sequences, each with its own tokens, positions and KV
 * cache, so that serving several users in one step needs no other interface; a backend may run
 * the entries one after another.
 */
public interface Backend extends AutoCloseable {

    BackendType type();

    /** The device in words, for logs, readiness and metrics: {@code CPU, 8 threads}, {@code CUDA device 0: NVIDIA H200}. */
    String description();

    /**
     * A new sequence with an empty KV cache under {@code kv}'s policy, for up to {@code maxTokens}
     * tokens, stepping at most {@code maxBatch} tokens at a time. {@code wrapStore}, if not null,
     * decorates the backend's store (measurement probes); backends that cannot wrap their store
     * refuse it. Fails with a clear message for a policy this backend's store cannot run.
     */
    Sequence newSequence(KvCacheConfig kv, int maxTokens, int maxBatch, UnaryOperator<KvStore> wrapStore);

    /** Runs each step's tokens through the model, appending them to the step's sequence and writing its outputs. */
    void forward(List<SequenceStep> steps);

    /** What this backend's KV stores can do: a policy that needs more is refused (see {@code Model.checkKvCache}). */
    Set<KvStore.Feature> kvFeatures();

    /** Most tokens one forward step of a sequence should take (prompts are fed in batches of this size). */
    int maxBatch();

    /** Bytes of keys and values of one uncompressed token in this backend's KV store. */
    long kvBytesPerToken();

    /**
     * Bytes one slot of every layer and KV head costs in this backend's KV store made for
     * {@code spec} with keys and values in {@code type} (a backend that keeps one type ignores it):
     * keys, values and per-slot bookkeeping, as the store's footprint counts them. What turns a
     * limit in bytes ({@link KvCacheConfig#maxBytes()}) into slots.
     */
    long kvBytesPerSlot(KvStoreSpec spec, KvType type);

    /**
     * Most bytes the KV store of one sequence made for {@code spec} occupies when it is made for
     * {@code contextTokens} slots per layer and KV head (the context, or fewer: see
     * {@code KvCache.capacity}) while it holds at most {@code slots} of them (the policy's spare
     * slots included): what admission control reserves for a request. A store that allocates its
     * capacity up front costs that whatever the policy keeps; one that grows costs what it may have
     * grown to. {@code type} is how the sequence asked its keys and values stored (a backend that
     * keeps one type only ignores it). Default: {@code slots} uncompressed tokens.
     */
    default long kvBytesFor(KvStoreSpec spec, KvType type, int contextTokens, int slots) {
        return (long) slots * kvBytesPerToken();
    }

    /** Working memory of one sequence stepping {@code maxBatch} tokens at a time. */
    long scratchBytes(int maxBatch);

    /** Bytes of weights this backend holds (device memory on a GPU, the mapped file on the CPU). */
    long weightBytes();

    /**
     * Memory a sequence's KV cache and scratch come from, and how much is free there now: the
     * JVM heap on the CPU, device memory on a GPU.
     */
    MemoryPool memory();

    /**
     * Frees the weights and the device; sequences of this backend must not be used afterwards.
     * {@code Model} calls it once, after the operations its sessions run have ended, and refuses
     * later ones, so a backend need not count its steps itself.
     */
    @Override
    void close();

    /**
     * A memory a backend allocates sequences from.
     *
     * @param name      {@code heap} or {@code device memory}
     * @param freeBytes available now
     */
    record MemoryPool(String name, long freeBytes) {
    }
}
