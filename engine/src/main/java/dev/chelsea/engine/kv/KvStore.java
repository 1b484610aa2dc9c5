package dev.chelsea.engine.kv;

/**
 * The storage of one sequence's KV cache, owned by the backend that computes attention over it
 * (host arrays on the CPU, device memory on a GPU). Per layer and KV head it holds slots (a key,
 * a value, the absolute position of the token, and for merging policies the number of tokens the
 * slot stands for), appended by the backend's forward pass and attended to by its kernels.
 *
 * <p>A store never decides what to keep: a {@link KvPolicy} plans, and the store applies the plan
 * ({@link #apply}). The {@link KvCache} in front of it drives both. Within a layer every KV head
 * holds the same number of slots.
 */
public interface KvStore extends AutoCloseable {

    /** What a store can do beyond appending and attending; a policy names the ones it needs. */
    enum Feature {
        /** Chunked soft matching merges ({@link KvPlan.Merge}), cluster sizes and the {@code log(size)} bias. */
        MERGE,
        /** Ordered compaction ({@link KvPlan.Keep}). */
        KEEP,
        /** Unordered eviction below a window ({@link KvPlan.Evict}). */
        EVICT,
        /** Reading slot positions ({@link #positions}). */
        POSITIONS,
        /** Attention received by each slot, summed over queries ({@link HostKvStore#scores}). */
        ATTENTION_SCORES,
        /** The host reads keys, values and recent queries in place ({@link HostKvStore}). */
        HOST_READ
    }

    KvLayout layout();

    /** Slots held by {@code layer}, including appended but not yet committed tokens. */
    int slots(int layer);

    boolean supports(Feature feature);

    /**
     * Absolute positions of the slots of one head ({@code [slots(layer)]}, a copy or a read-only
     * view valid until the next change).
     */
    int[] positions(int layer, int head);

    /** Applies a plan; the slot counts of the planned layers change accordingly. */
    void apply(KvPlan plan);

    /**
     * Turns accumulation of the attention each slot receives on or off (stores created for a
     * scoring policy; see {@link KvStoreSpec#scores()}).
     */
    void setScoring(boolean on);

    /**
     * Whether a prompt is being read: storage then grows geometrically (a long prompt arrives in
     * batches before any compression); afterwards it grows only by the spare slots of the spec.
     */
    void setPromptPhase(boolean inPrompt);

    /** Releases storage beyond the spare slots after a compression. */
    void trim();

    /** Bytes held now: keys, values and per-slot bookkeeping. */
    Footprint footprint();

    /** Bytes of keys and values of one uncompressed token across all layers, in this store's element type. */
    long bytesPerToken();

    /**
     * Appends every slot of this store (keys, values, positions, sizes) to the empty store
     * {@code target} of the same backend and layout.
     */
    void copyTo(KvStore target);

    /** Forgets everything; storage may be kept for reuse. */
    void clear();

    /** Frees the storage (device memory); the store is unusable afterwards. */
    @Override
    void close();

    /** Bytes a store holds. */
    record Footprint(long keyBytes, long valueBytes, long metaBytes) {
        public long total() {
            return keyBytes + valueBytes + metaBytes;
        }
    }
}
