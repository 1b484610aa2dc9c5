package dev.chelsea.engine.kv;

import dev.chelsea.engine.kernel.Attention;
import dev.chelsea.engine.kernel.BlockAttention;
import dev.chelsea.engine.kernel.Parallel;

import java.util.Arrays;

/**
 * Storage and attention shared by every policy: per layer and KV head, contiguous float arrays of
 * keys and values, plus (for policies that merge) the number of original tokens each slot stands
 * for and its log, which attention adds to the logits, and (for policies that score) one float per
 * slot. Policies decide when and what to drop or merge by overriding {@link #compress(boolean)} and
 * editing slots through {@link #retain}, {@link #evictUnordered} and {@link #setSlots}.
 *
 * <p>Decode-time compression ({@link #commit}) starts only after the first {@link #endPrefill()}:
 * the prompt's own attention always runs over its full KV, as the method specifies.
 */
public abstract class DenseKvCache implements KvCache {
    private static final int INITIAL_SLOTS = 256;
    private static final Parallel SERIAL = new Parallel(1);

    protected final KvLayout layout;
    /** Most original tokens this cache accepts (the context length). */
    protected final int maxTokens;
    /** Whether slots carry cluster sizes (merging policies); sizes are all 1 otherwise. */
    protected final boolean trackSizes;
    /** Whether attention adds log(size) to the logits of merged slots. */
    protected final boolean sizeBias;
    /** Whether slots carry a policy score (accumulated attention) that moves with them. */
    protected final boolean trackScores;

    protected final float[][][] keys;     // [layer][kvHead][slot * headDim + d]
    protected final float[][][] values;
    protected final float[][][] sizes;    // [layer][kvHead][slot], null unless trackSizes
    protected final float[][][] logSizes;
    protected final float[][][] scores;   // [layer][kvHead][slot], null unless trackScores
    protected final int[][][] positions;  // [layer][kvHead][slot]: original position (a cluster keeps its destination's)
    protected final int[] used;           // slots per layer
    private final int[] pending;          // slots appended per layer since the last commit
    private final Object[] headLocks;
    private int position;
    private boolean inPrompt = true;
    private Parallel parallel = SERIAL;
    private long peakBytes;
    private long compressions;
    private long compressionNanos;
    private final ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<BlockAttention.Scratch> blockScratch = ThreadLocal.withInitial(BlockAttention.Scratch::new);

    protected DenseKvCache(KvLayout layout, int maxTokens, boolean trackSizes, boolean sizeBias) {
        this(layout, maxTokens, trackSizes, sizeBias, false);
    }

    protected DenseKvCache(KvLayout layout, int maxTokens, boolean trackSizes, boolean sizeBias, boolean trackScores) {
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
        }
        this.layout = layout;
        this.maxTokens = maxTokens;
        this.trackSizes = trackSizes;
        this.sizeBias = trackSizes && sizeBias;
        this.trackScores = trackScores;
        int l = layout.layers(), h = layout.kvHeads();
        keys = new float[l][h][0];
        values = new float[l][h][0];
        positions = new int[l][h][0];
        sizes = trackSizes ? new float[l][h][0] : null;
        logSizes = trackSizes ? new float[l][h][0] : null;
        scores = trackScores ? new float[l][h][0] : null;
        used = new int[l];
        pending = new int[l];
        headLocks = new Object[h];
        for (int i = 0; i < h; i++) {
            headLocks[i] = new Object();
        }
    }

    @Override
    public KvLayout layout() {
        return layout;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public int slots(int layer) {
        return used[layer];
    }

    /** Whether the first prompt is still being read (no decode-time compression yet). */
    protected final boolean inPrompt() {
        return inPrompt;
    }

    /** The worker threads the model last attended with; compression reuses them. */
    protected final Parallel parallel() {
        return parallel;
    }

    protected final int capacity(int layer) {
        return positions[layer][0].length;
    }

    /**
     * Free slots to keep after a compression and to add when growing; negative means grow
     * geometrically (a cache that only appends). Compressing policies return a fixed slack so
     * that capacity stays near their budget.
     */
    protected int spareSlots() {
        return -1;
    }

    /** Makes room for {@code slots} entries in {@code layer}. */
    protected final void ensureCapacity(int layer, int slots) {
        int cap = capacity(layer);
        if (slots <= cap) {
            return;
        }
        int spare = spareSlots();
        // A long prompt arrives in batches before any compression: grow geometrically then, or
        // every batch would copy the whole cache.
        int newCap = spare < 0 || inPrompt
                ? Math.max(slots + Math.max(spare, 0), Math.max(INITIAL_SLOTS, cap + (cap >> 1)))
                : slots + spare;
        resize(layer, newCap);
    }

    /** Reallocates {@code layer} to exactly {@code newCap} slots (at least the slots in use). */
    protected final void resize(int layer, int newCap) {
        int d = layout.headDim();
        if (newCap < used[layer]) {
            throw new IllegalArgumentException("cannot shrink layer " + layer + " to " + newCap + " slots, " + used[layer] + " in use");
        }
        for (int h = 0; h < layout.kvHeads(); h++) {
            keys[layer][h] = Arrays.copyOf(keys[layer][h], newCap * d);
            values[layer][h] = Arrays.copyOf(values[layer][h], newCap * d);
            positions[layer][h] = Arrays.copyOf(positions[layer][h], newCap);
            if (trackSizes) {
                sizes[layer][h] = Arrays.copyOf(sizes[layer][h], newCap);
                logSizes[layer][h] = Arrays.copyOf(logSizes[layer][h], newCap);
            }
            if (trackScores) {
                scores[layer][h] = Arrays.copyOf(scores[layer][h], newCap);
            }
        }
    }

    /** Releases storage beyond the spare slots, after a compression (hysteresis: only when twice that is free). */
    protected final void trim() {
        int spare = Math.max(spareSlots(), 0);
        for (int l = 0; l < layout.layers(); l++) {
            if (capacity(l) > used[l] + 2 * spare + 16) {
                resize(l, used[l] + spare);
            }
        }
    }

    @Override
    public void append(int layer, float[] k, float[] v, int n) {
        int base = used[layer];
        int firstPos = position;
        if (position + n > maxTokens) {
            throw new IllegalStateException("KV cache full: " + position + " + " + n + " tokens exceed the context of " + maxTokens);
        }
        ensureCapacity(layer, base + n);
        int d = layout.headDim();
        int row = layout.rowFloats();
        for (int h = 0; h < layout.kvHeads(); h++) {
            float[] kd = keys[layer][h], vd = values[layer][h];
            int[] pd = positions[layer][h];
            for (int t = 0; t < n; t++) {
                System.arraycopy(k, t * row + h * d, kd, (base + t) * d, d);
                System.arraycopy(v, t * row + h * d, vd, (base + t) * d, d);
                pd[base + t] = firstPos + t;
            }
            if (trackSizes) {
                Arrays.fill(sizes[layer][h], base, base + n, 1f);
                Arrays.fill(logSizes[layer][h], base, base + n, 0f);
            }
            if (trackScores) {
                Arrays.fill(scores[layer][h], base, base + n, 0f);
            }
        }
        used[layer] = base + n;
        pending[layer] += n;
    }

    @Override
    public void attend(int layer, float[] q, int n, int heads, float[] out, Parallel parallel) {
        this.parallel = parallel;
        int kvHeads = layout.kvHeads();
        int d = layout.headDim();
        int group = heads / kvHeads;
        int total = used[layer];
        int before = total - n;
        float scale = (float) (1.0 / Math.sqrt(d));
        boolean bias = sizeBias && hasMerged(layer);
        boolean weights = n == 1 || wantsAttentionWeights();
        // Decoding reads the whole cache for one query, bound by memory, which attendGroup reads once
        // per group; a batch of few rows would be mostly padding in the tiled kernel.
        if (n == 1 || !BlockAttention.pays(n, group)) {
            parallel.forEach(kvHeads * n, task -> {
                int h = task % kvHeads;
                int i = task / kvHeads;
                int visible = before + i + 1;
                float[] s = scratch(group * visible);
                int off = i * heads * d + h * group * d;
                Attention.attendGroup(q, off, group, keys[layer][h], values[layer][h], bias ? logSizes[layer][h] : null,
                        visible, d, scale, s, out, off);
                if (weights) {
                    onAttention(layer, h, i, n, s, group, visible);
                }
            });
            return;
        }
        // A prompt batch: blocks of queries read each key and value once for all their query heads.
        int perBlock = BlockAttention.queriesPerBlock(group);
        int blocks = (n + perBlock - 1) / perBlock;
        // Head-major, so that each thread's contiguous range of tasks spans whole heads, early and late queries alike.
        parallel.forEach(kvHeads * blocks, task -> {
            int h = task / blocks;
            int first = task % blocks * perBlock;
            int count = Math.min(perBlock, n - first);
            BlockAttention.Scratch s = blockScratch.get();
            BlockAttention.attend(q, heads, h, group, first, count, before, keys[layer][h], values[layer][h],
                    bias ? logSizes[layer][h] : null, d, scale, out, s, weights);
            for (int i = 0; weights && i < count; i++) {
                onAttention(layer, h, first + i, n, s.weights(i), group, before + first + i + 1);
            }
        });
    }

    private float[] scratch(int n) {
        float[] s = scratch.get();
        if (s.length < n) {
            s = new float[Math.max(n, s.length + (s.length >> 1))];
            scratch.set(s);
        }
        return s;
    }

    /** Whether any slot of {@code layer} stands for more than one token. Policies that merge override it cheaply. */
    protected boolean hasMerged(int layer) {
        return trackSizes;
    }

    /**
     * Whether {@link #onAttention} needs the weights of prompt batches ({@code n > 1}) now. Batches
     * compute them only when it does: the tiled kernel's online softmax never holds them otherwise.
     */
    protected boolean wantsAttentionWeights() {
        return false;
    }

    /**
     * Called with the softmax weights ({@code [group][visible]}) of query {@code i} of a batch of
     * {@code n} for KV head {@code head}, from worker threads: for every decode step, and for every
     * query of a prompt batch when {@link #wantsAttentionWeights()}. Scoring policies record them
     * here; when {@code n > 1} several threads may report on the same head at once.
     */
    protected void onAttention(int layer, int head, int i, int n, float[] weights, int group, int visible) {
    }

    /**
     * Adds the attention a query gave each slot, summed over the query heads of the group, to the
     * slots' scores. Safe from {@link #onAttention}: a prompt batch reports several queries of the
     * same head from different threads, so those updates are serialised per head.
     */
    protected final void accumulateScores(int layer, int head, int n, float[] weights, int group, int visible) {
        float[] acc = scores[layer][head];
        if (n == 1) {
            addWeights(acc, weights, group, visible);
        } else {
            synchronized (headLocks[head]) {
                addWeights(acc, weights, group, visible);
            }
        }
    }

    private static void addWeights(float[] acc, float[] weights, int group, int visible) {
        for (int g = 0; g < group; g++) {
            Attention.axpy(1f, weights, g * visible, acc, 0, visible);
        }
    }

    @Override
    public void commit(int n) {
        for (int l = 0; l < pending.length; l++) {
            if (pending[l] != n) {
                throw new IllegalStateException("commit of " + n + " tokens, but layer " + l + " received " + pending[l]);
            }
        }
        Arrays.fill(pending, 0);
        position += n;
        updatePeak();
        if (!inPrompt) {
            maybeCompress(false);
        }
    }

    @Override
    public void endPrefill() {
        inPrompt = false;
        maybeCompress(true);
    }

    private void maybeCompress(boolean endOfPrompt) {
        long t0 = System.nanoTime();
        if (compress(endOfPrompt)) {
            compressions++;
            compressionNanos += System.nanoTime() - t0;
        }
    }

    /**
     * Compresses if the policy wants to. {@code endOfPrompt} is true after each prompt; false
     * after every committed batch during decoding. Returns whether anything was compressed.
     */
    protected abstract boolean compress(boolean endOfPrompt);

    /** Sets the slot count of a layer after a policy compacted its arrays in place. */
    protected final void setSlots(int layer, int slots) {
        if (slots < 0 || slots > used[layer]) {
            throw new IllegalArgumentException("layer " + layer + " cannot go from " + used[layer] + " to " + slots + " slots");
        }
        used[layer] = slots;
    }

    /** Moves {@code count} consecutive slots of one head (everything a slot carries), like {@code System.arraycopy}. */
    protected final void moveSlots(int layer, int head, int from, int to, int count) {
        if (from == to || count == 0) {
            return;
        }
        int d = layout.headDim();
        System.arraycopy(keys[layer][head], from * d, keys[layer][head], to * d, count * d);
        System.arraycopy(values[layer][head], from * d, values[layer][head], to * d, count * d);
        System.arraycopy(positions[layer][head], from, positions[layer][head], to, count);
        if (trackSizes) {
            System.arraycopy(sizes[layer][head], from, sizes[layer][head], to, count);
            System.arraycopy(logSizes[layer][head], from, logSizes[layer][head], to, count);
        }
        if (trackScores) {
            System.arraycopy(scores[layer][head], from, scores[layer][head], to, count);
        }
    }

    /**
     * Keeps slots {@code kept[0..k)} (strictly ascending) of one head, in temporal order, in slots
     * {@code 0..k)}. Runs of consecutive slots move as one block. The caller sets the slot count once
     * every head of the layer is done.
     */
    protected final void retain(int layer, int head, int[] kept, int k) {
        int to = 0;
        for (int i = 0; i < k; ) {
            int from = kept[i];
            int run = 1;
            while (i + run < k && kept[i + run] == from + run) {
                run++;
            }
            moveSlots(layer, head, from, to, run);
            to += run;
            i += run;
        }
    }

    /**
     * Removes {@code victims[0..k)} (strictly ascending, all below {@code end}) of one head, where
     * order inside {@code [0, end)} does not matter to the policy: each hole is filled with a
     * survivor from the end of that region, then slots {@code [end, used)} (the recent window,
     * which stays in order) shift down by {@code k}. Costs {@code O((k + window) * headDim)}
     * instead of moving the whole cache, which matters for policies that evict every step.
     */
    protected final void evictUnordered(int layer, int head, int[] victims, int k, int end) {
        int newEnd = end - k;
        int holes = k;
        while (holes > 0 && victims[holes - 1] >= newEnd) {
            holes--;
        }
        int v = holes;
        int filler = newEnd;
        for (int i = 0; i < holes; i++) {
            while (v < k && victims[v] == filler) {
                v++;
                filler++;
            }
            moveSlots(layer, head, filler, victims[i], 1);
            filler++;
        }
        moveSlots(layer, head, end, newEnd, used[layer] - end);
    }

    protected final void updatePeak() {
        peakBytes = Math.max(peakBytes, currentBytes());
    }

    private long currentBytes() {
        KvStats s = statsWithoutPeak();
        return s.keyBytes() + s.valueBytes() + s.metaBytes();
    }

    private KvStats statsWithoutPeak() {
        long slots = 0;
        for (int u : used) {
            slots += u;
        }
        long perHeadRow = (long) layout.headDim() * Float.BYTES;
        long kb = slots * layout.kvHeads() * perHeadRow;
        long metaPerSlot = Integer.BYTES + (trackSizes ? 2L * Float.BYTES : 0L) + (trackScores ? Float.BYTES : 0L);
        long meta = slots * layout.kvHeads() * metaPerSlot;
        return new KvStats(position, slots, kb, kb, meta, 0, (long) position * layout.bytesPerToken(), compressions, compressionNanos);
    }

    @Override
    public KvStats stats() {
        KvStats s = statsWithoutPeak();
        return new KvStats(s.tokens(), s.slots(), s.keyBytes(), s.valueBytes(), s.metaBytes(),
                Math.max(peakBytes, s.totalBytes()), s.uncompressedBytes(), s.compressions(), s.compressionNanos());
    }

    @Override
    public void clear() {
        Arrays.fill(used, 0);
        Arrays.fill(pending, 0);
        position = 0;
        inPrompt = true;
        peakBytes = 0;
        compressions = 0;
        compressionNanos = 0;
    }
}
