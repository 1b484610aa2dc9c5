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
     * Most slots a layer can hold (per KV head): the capacity of a store allocated up front, or
     * the limit a store that grows was made with; {@link Integer#MAX_VALUE} when it grows freely.
     */
    default int maxSlots() {
        return Integer.MAX_VALUE;
    }

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
     * Appends every slot of this store to the empty store {@code target} of the same backend and
     * layout: keys, values, positions, and what both stores keep per slot (cluster sizes, attention
     * scores); what only the target keeps starts as a new token's would (size 1, score 0). The
     * per-layer state goes along: tokens seen, whether slots were merged, the recorded queries.
     * Runs where the data is (device-to-device copies on a GPU); this store is only read, so
     * several targets may copy from one source at once.
     */
    void copyTo(KvStore target);

    /**
     * A new store of the same backend, layout and spec holding a copy of everything this one
     * holds, sized to it: the source of later {@link #copyTo} calls that outlives this store's
     * sequence (a prompt cache entry). Nothing appends to a snapshot; closing it frees its memory.
     */
    default KvStore snapshot() {
        throw new UnsupportedOperationException("the KV store " + getClass().getSimpleName() + " cannot be snapshotted");
    }

    /**
     * One layer of this store in host memory, float32 whatever the backend keeps: what a prompt
     * cache file holds. Copies from the device on a GPU.
     */
    default KvLayerImage exportLayer(int layer) {
        throw new UnsupportedOperationException("the KV store " + getClass().getSimpleName() + " cannot be exported");
    }

    /** Fills {@code layer} of this store, which holds nothing there yet, with {@code image} (from a store of the same layout and spec). */
    default void importLayer(int layer, KvLayerImage image) {
        throw new UnsupportedOperationException("the KV store " + getClass().getSimpleName() + " cannot be imported into");
    }

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
