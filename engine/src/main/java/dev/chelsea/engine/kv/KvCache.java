package dev.chelsea.engine.kv;

import java.util.Arrays;

/**
 * The KV cache of one sequence: a backend's {@link KvStore} driven by a {@link KvPolicy}. The
 * forward pass opens a batch ({@link #beginBatch}), appends keys and values of every layer to the
 * store and attends over it, then commits the tokens; the cache tracks the position and, after a
 * prompt and during decoding, asks the policy for a plan and has the store apply it. The model
 * never knows which policy runs, and the policy never knows which backend stores its slots.
 *
 * <p>Positions are absolute and count original tokens, so compressing never shifts the position
 * of a new token. Decode-time compression starts only after the first {@link #endPrefill()}: the
 * prompt's own attention always runs over its full KV, as the method specifies. Not thread-safe:
 * one sequence, one thread at a time.
 *
 * @param <S> the backend's store type, which its forward pass appends to and attends over
 */
public final class KvCache<S extends KvStore> implements AutoCloseable {
    private final S store;
    private final KvPolicy policy;
    private final int maxTokens;
    /** Most slots a layer holds at once: the policy's limit in bytes and the store's own. */
    private final int maxSlots;
    /** Whether the full cache's limit in bytes holds fewer tokens than the context. */
    private final boolean limitedByBytes;
    private final int[] committedSlots;
    private int position;
    private boolean inPrompt = true;
    private long peakBytes;
    private long compressions;
    private long compressionNanos;

    /**
     * @param maxTokens most original tokens this cache accepts (the context length); under the full
     *                  policy with a limit in bytes, the tokens that fit when fewer
     */
    public KvCache(S store, KvPolicy policy, int maxTokens) {
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
        }
        for (KvStore.Feature f : policy.requires()) {
            if (!store.supports(f)) {
                throw new IllegalArgumentException("the KV store " + store.getClass().getSimpleName() + " cannot run policy '"
                        + policy.name() + "': it lacks " + f);
            }
        }
        this.store = store;
        this.policy = policy;
        this.maxSlots = Math.min(policy.maxSlots(), store.maxSlots());
        // A cache that never compresses holds one slot per token: its context is what fits.
        this.limitedByBytes = policy.slack() < 0 && policy.maxSlots() < maxTokens;
        this.maxTokens = limitedByBytes ? policy.maxSlots() : maxTokens;
        this.committedSlots = new int[store.layout().layers()];
        store.setPromptPhase(true);
        store.setScoring(policy.scoresAttention(true));
    }

    public S store() {
        return store;
    }

    public KvLayout layout() {
        return store.layout();
    }

    /** The policy's name as used in configuration ({@code full}, {@code chelsea}, ...). */
    public String policy() {
        return policy.name();
    }

    /**
     * Most slots per layer and KV head a sequence's store ever needs to hold, what a store that
     * allocates up front (device memory) makes room for: the context of {@code contextTokens},
     * or fewer when the policy's limit in bytes ({@link KvPolicy#maxSlots()}) holds fewer, or when
     * a compressing policy reads prompts in pieces ({@link KvCacheConfig#promptChunk()}): then its
     * largest budget (at the end of the context), the slack it runs over during decoding, one
     * piece, and the spare slots that cover a merge falling short of its target by less than a
     * chunk. {@link #makeRoom} compresses whenever the store is full.
     */
    public static int capacity(KvPolicy policy, KvCacheConfig config, int layers, int contextTokens) {
        long cap = Math.min(contextTokens, policy.maxSlots());
        if (policy.slack() >= 0 && config.promptChunk() > 0) {
            int budget = 0;
            for (int l = 0; l < layers; l++) {
                budget = Math.max(budget, policy.budget(l, contextTokens));
            }
            cap = Math.min(cap, (long) budget + policy.slack() + config.promptChunk() + Math.max(0, policy.storeSpec().spareSlots()));
        }
        return (int) cap;
    }

    /** Most original tokens this cache accepts: the context, or the tokens the full cache's limit in bytes holds when fewer. */
    public int maxTokens() {
        return maxTokens;
    }

    /** Whether {@link #maxTokens()} is the tokens that fit in the full cache's limit in bytes, fewer than the context. */
    public boolean limitedByBytes() {
        return limitedByBytes;
    }

    /** Original tokens committed so far: the absolute position of the next token. */
    public int position() {
        return position;
    }

    /** Slots currently held by {@code layer}. */
    public int slots(int layer) {
        return store.slots(layer);
    }

    /** Whether the first prompt is still being read. */
    public boolean inPrompt() {
        return inPrompt;
    }

    /** Budget of {@code layer} at the current position (the position itself for the full cache). */
    public int budget(int layer) {
        return policy.budget(layer, position);
    }

    /** Checks that {@code n} more tokens fit; call before appending a batch. */
    public void beginBatch(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("a batch needs at least one token, got " + n);
        }
        if (position + n > maxTokens) {
            throw new IllegalStateException("KV cache full: " + position + " + " + n + " tokens exceed the "
                    + (limitedByBytes ? maxTokens + " tokens that fit in its limit in bytes" : "context of " + maxTokens));
        }
        if (n > room()) {
            throw new IllegalStateException("KV cache full: " + n + " more slots do not fit in the " + maxSlots
                    + " a layer may hold (limit in bytes or store capacity); " + room() + " left (compress first: makeRoom)");
        }
    }

    /** Slots every layer can still take before it holds {@link #maxSlots()}. */
    public int room() {
        int room = Integer.MAX_VALUE;
        for (int l = 0; l < committedSlots.length; l++) {
            room = Math.min(room, maxSlots - store.slots(l));
        }
        return room;
    }

    /** Most slots a layer holds at once (per KV head): the limit in bytes or the store's capacity. */
    public int maxSlots() {
        return maxSlots;
    }

    /**
     * Slots the next batch may take, called before it is appended: when none is left under
     * {@link #maxSlots()}, a compressing policy compresses now to the budget of the tokens read
     * so far (as {@link #compressPrompt()} does, in a prompt or after it), which leaves at least
     * its slack plus one. The caller feeds at most that many tokens. Compressing only once the
     * store is full makes the points where a long prompt is compressed independent of the batch
     * size (the CPU's and a GPU's differ), and a prompt that fits is never compressed before it ends.
     */
    public int makeRoom() {
        if (room() <= 0 && policy.slack() >= 0) {
            maybeCompress(true);
            recordSlots();
        }
        return room();
    }

    /**
     * The {@code n} tokens appended to every layer are complete. The policy may compress here
     * (decode-time trigger), but only once the first prompt has ended ({@link #endPrefill()}), so
     * that a prompt fed in several batches attends over all of itself. To compress online from the
     * first tokens (teacher-forced perplexity), call {@link #endPrefill()} after the first batch.
     */
    public void commit(int n) {
        for (int l = 0; l < committedSlots.length; l++) {
            int got = store.slots(l) - committedSlots[l];
            if (got != n) {
                throw new IllegalStateException("commit of " + n + " tokens, but layer " + l + " received " + got);
            }
        }
        position += n;
        updatePeak();
        if (!inPrompt) {
            maybeCompress(false);
        }
        recordSlots();
    }

    /** The prompt is complete: the policy compresses down to its budget (prefill-time trigger). May be called again after later prompts. */
    public void endPrefill() {
        if (inPrompt) {
            setPhase(false);
        }
        maybeCompress(true);
        recordSlots();
    }

    /**
     * Compresses the part of a prompt read so far down to the budget of the tokens seen, without
     * ending the prompt (chunked prefill, {@link KvCacheConfig#promptChunk()}): the rest of the
     * prompt then attends over the compressed cache, and the KV held stays near the budget plus
     * one piece instead of growing to the whole prompt. Nothing happens once the prompt has ended
     * (decode-time compression takes over) or for a policy that never compresses.
     */
    public void compressPrompt() {
        if (inPrompt) {
            maybeCompress(true);
            recordSlots();
        }
    }

    private void recordSlots() {
        for (int l = 0; l < committedSlots.length; l++) {
            committedSlots[l] = store.slots(l);
        }
    }

    private void maybeCompress(boolean endOfPrompt) {
        int slack = policy.slack();
        if (slack < 0) {
            return;
        }
        long t0 = System.nanoTime();
        int layers = committedSlots.length;
        int[] targets = new int[layers];
        boolean any = false;
        for (int l = 0; l < layers; l++) {
            int b = policy.budget(l, position);
            targets[l] = store.slots(l) > b + (endOfPrompt ? 0 : slack) ? b : -1;
            any |= targets[l] >= 0;
        }
        if (!any) {
            return;
        }
        KvPlan plan = policy.plan(store, targets, endOfPrompt);
        store.apply(plan);
        store.trim();
        compressions++;
        compressionNanos += System.nanoTime() - t0;
    }

    private void updatePeak() {
        peakBytes = Math.max(peakBytes, store.footprint().total());
    }

    public KvStats stats() {
        long slots = 0;
        for (int l = 0; l < committedSlots.length; l++) {
            slots += store.slots(l);
        }
        KvStore.Footprint f = store.footprint();
        return new KvStats(position, slots, f.keyBytes(), f.valueBytes(), f.metaBytes(), Math.max(peakBytes, f.total()),
                (long) position * store.bytesPerToken(), compressions, compressionNanos);
    }

    /**
     * Appends every token held here to the empty {@code target}, as if the same prompt had been
     * fed to it, without running the model again. That is exact only for an uncompressed cache,
     * because a prompt's keys and values do not depend on the policy: no policy compresses before
     * its prompt ends. The prompt is not ended, so the caller decides when the target compresses.
     * Attention is not replayed, so a policy that scores entries by the attention they receive
     * (h2o, snapkv) would start with blank scores and must read the prompt itself.
     */
    public void copyPromptTo(KvCache<?> target) {
        if (policy.slack() >= 0) {
            throw new IllegalStateException("only an uncompressed cache can be copied as a prompt, this one is '" + policy.name() + "'");
        }
        if (target.position != 0) {
            throw new IllegalArgumentException("the target cache already holds " + target.position + " tokens");
        }
        if (!target.layout().equals(layout())) {
            throw new IllegalArgumentException("layouts differ: " + layout() + " and " + target.layout());
        }
        store.copyTo(target.store);
        target.position = position;
        target.recordSlots();
        target.updatePeak();
    }

    /**
     * A copy of this cache's whole state (its store's slots, sizes, positions and per-layer state,
     * the position, whether the prompt has ended, the compression figures) in a new store of the
     * same backend that nothing appends to: what a prompt cache keeps. It is only ever read, by
     * {@link #copyStateTo}, so several sequences may start from it at once. Close it to free its
     * memory (device memory on a GPU).
     */
    public KvCache<KvStore> snapshot() {
        KvStore copy = store.snapshot();
        KvCache<KvStore> s;
        try {
            s = new KvCache<>(copy, policy, maxTokens);
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
        copyFields(this, s);
        return s;
    }

    /**
     * Makes the empty {@code target}, a cache of the same policy (a fresh sequence's), hold exactly
     * this cache's state, as if it had read the same tokens: the next token it reads attends to
     * the same keys and values, and its policy goes on from the same phase. Unlike
     * {@link #copyPromptTo}, the state may be compressed; the policies must be the same, as the
     * caller ensures by keeping caches per {@link KvCacheConfig}.
     */
    public void copyStateTo(KvCache<?> target) {
        if (!target.policy.name().equals(policy.name())) {
            throw new IllegalArgumentException("a cache under policy '" + policy.name() + "' copies its state only into one under the same policy, not '"
                    + target.policy.name() + "'");
        }
        if (target.position != 0) {
            throw new IllegalArgumentException("the target cache already holds " + target.position + " tokens");
        }
        if (!target.layout().equals(layout())) {
            throw new IllegalArgumentException("layouts differ: " + layout() + " and " + target.layout());
        }
        if (position > target.maxTokens) {
            throw new IllegalArgumentException("the target cache takes " + target.maxTokens + " tokens, this one holds " + position);
        }
        store.copyTo(target.store);
        copyFields(this, target);
    }

    /**
     * Builds a cache's state from layer images ({@link KvStore#exportLayer}), as a prompt cache
     * file holds them, into this empty cache; {@code compressions} and {@code compressionNanos}
     * are the figures of the cache they came from.
     */
    public void importState(int position, boolean inPrompt, java.util.List<KvLayerImage> layers, long compressions, long compressionNanos) {
        if (this.position != 0) {
            throw new IllegalStateException("the cache already holds " + this.position + " tokens");
        }
        if (layers.size() != committedSlots.length || position < 0 || position > maxTokens) {
            throw new IllegalArgumentException(layers.size() + " layer images at position " + position + " for a cache of "
                    + committedSlots.length + " layers and " + maxTokens + " tokens");
        }
        for (int l = 0; l < layers.size(); l++) {
            if (layers.get(l).tokens() != position) {
                throw new IllegalArgumentException("layer " + l + " of the image has seen " + layers.get(l).tokens() + " tokens, not " + position);
            }
            store.importLayer(l, layers.get(l));
        }
        this.position = position;
        this.compressions = compressions;
        this.compressionNanos = compressionNanos;
        setPhase(inPrompt);
        recordSlots();
        updatePeak();
    }

    private static void copyFields(KvCache<?> from, KvCache<?> to) {
        to.position = from.position;
        to.compressions = from.compressions;
        to.compressionNanos = from.compressionNanos;
        to.setPhase(from.inPrompt);
        to.recordSlots();
        to.updatePeak();
    }

    private void setPhase(boolean prompt) {
        inPrompt = prompt;
        store.setPromptPhase(prompt);
        store.setScoring(policy.scoresAttention(prompt));
    }

    /** Forgets everything; storage may be kept for reuse. */
    public void clear() {
        store.clear();
        position = 0;
        inPrompt = true;
        store.setPromptPhase(true);
        store.setScoring(policy.scoresAttention(true));
        peakBytes = 0;
        compressions = 0;
        compressionNanos = 0;
        Arrays.fill(committedSlots, 0);
    }

    /** Frees the store's memory. */
    @Override
    public void close() {
        store.close();
    }
}
