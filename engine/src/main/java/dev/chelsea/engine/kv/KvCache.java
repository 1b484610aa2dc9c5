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
    private final int[] committedSlots;
    private int position;
    private boolean inPrompt = true;
    private long peakBytes;
    private long compressions;
    private long compressionNanos;

    /**
     * @param maxTokens most original tokens this cache accepts (the context length)
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
        this.maxTokens = maxTokens;
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

    /** Most original tokens this cache accepts. */
    public int maxTokens() {
        return maxTokens;
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
            throw new IllegalStateException("KV cache full: " + position + " + " + n + " tokens exceed the context of " + maxTokens);
        }
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
            inPrompt = false;
            store.setPromptPhase(false);
            store.setScoring(policy.scoresAttention(false));
        }
        maybeCompress(true);
        recordSlots();
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
