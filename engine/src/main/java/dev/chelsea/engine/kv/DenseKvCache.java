package dev.chelsea.engine.kv;

import dev.chelsea.engine.kernel.Attention;
import dev.chelsea.engine.kernel.Parallel;

/**
 * Storage and attention shared by every policy: per layer and KV head, contiguous float arrays of
 * keys and values in temporal order, plus (for policies that merge) the number of original tokens
 * each slot stands for and its log, which attention adds to the logits. Policies decide when and
 * what to drop or merge by overriding {@link #compress(boolean)} and editing slots through
 * {@link #keys}, {@link #values}, {@link #sizes} and {@link #setSlots}.
 */
public abstract class DenseKvCache implements KvCache {
    private static final int INITIAL_SLOTS = 256;

    protected final KvLayout layout;
    /** Most original tokens this cache accepts (the context length). */
    protected final int maxTokens;
    /** Whether slots carry cluster sizes (merging policies); sizes are all 1 otherwise. */
    protected final boolean trackSizes;
    /** Whether attention adds log(size) to the logits of merged slots. */
    protected final boolean sizeBias;

    protected final float[][][] keys;     // [layer][kvHead][slot * headDim + d]
    protected final float[][][] values;
    protected final float[][][] sizes;    // [layer][kvHead][slot], null unless trackSizes
    protected final float[][][] logSizes;
    protected final int[][][] positions;  // [layer][kvHead][slot]: original position (a cluster keeps its destination's)
    protected final int[] used;           // slots per layer
    private int position;
    private long peakBytes;
    private long compressions;
    private long compressionNanos;
    private final ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[0]);

    protected DenseKvCache(KvLayout layout, int maxTokens, boolean trackSizes, boolean sizeBias) {
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
        }
        this.layout = layout;
        this.maxTokens = maxTokens;
        this.trackSizes = trackSizes;
        this.sizeBias = trackSizes && sizeBias;
        int l = layout.layers(), h = layout.kvHeads();
        keys = new float[l][h][0];
        values = new float[l][h][0];
        positions = new int[l][h][0];
        sizes = trackSizes ? new float[l][h][0] : null;
        logSizes = trackSizes ? new float[l][h][0] : null;
        used = new int[l];
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

    protected final int capacity(int layer) {
        return positions[layer][0].length;
    }

    /** Makes room for {@code slots} entries in {@code layer}, growing by half again each time. */
    protected final void ensureCapacity(int layer, int slots) {
        int cap = capacity(layer);
        if (slots <= cap) {
            return;
        }
        int newCap = Math.max(slots, Math.max(INITIAL_SLOTS, cap + (cap >> 1)));
        resize(layer, newCap);
    }

    /** Reallocates {@code layer} to exactly {@code newCap} slots (at least the slots in use). */
    protected final void resize(int layer, int newCap) {
        int d = layout.headDim();
        int n = used[layer];
        for (int h = 0; h < layout.kvHeads(); h++) {
            keys[layer][h] = java.util.Arrays.copyOf(keys[layer][h], newCap * d);
            values[layer][h] = java.util.Arrays.copyOf(values[layer][h], newCap * d);
            positions[layer][h] = java.util.Arrays.copyOf(positions[layer][h], newCap);
            if (trackSizes) {
                sizes[layer][h] = java.util.Arrays.copyOf(sizes[layer][h], newCap);
                logSizes[layer][h] = java.util.Arrays.copyOf(logSizes[layer][h], newCap);
            }
        }
        assert n <= newCap;
    }

    /** Releases storage beyond {@code slack} free slots per layer, after a compression. */
    protected final void trim(int slack) {
        for (int l = 0; l < layout.layers(); l++) {
            int want = used[l] + slack;
            if (capacity(l) > want + want / 2) {
                resize(l, want);
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
                java.util.Arrays.fill(sizes[layer][h], base, base + n, 1f);
                java.util.Arrays.fill(logSizes[layer][h], base, base + n, 0f);
            }
        }
        used[layer] = base + n;
    }

    @Override
    public void attend(int layer, float[] q, int n, int heads, float[] out, Parallel parallel) {
        int kvHeads = layout.kvHeads();
        int d = layout.headDim();
        int group = heads / kvHeads;
        int total = used[layer];
        int before = total - n;
        float scale = (float) (1.0 / Math.sqrt(d));
        boolean bias = sizeBias && hasMerged(layer);
        parallel.forEach(kvHeads * n, task -> {
            int h = task % kvHeads;
            int i = task / kvHeads;
            int visible = before + i + 1;
            float[] s = scratch(group * visible);
            int off = i * heads * d + h * group * d;
            Attention.attendGroup(q, off, group, keys[layer][h], values[layer][h], bias ? logSizes[layer][h] : null,
                    visible, d, scale, s, out, off);
            onAttention(layer, h, i, n, s, group, visible);
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
     * Called with the softmax weights ({@code [group][visible]}) of query {@code i} of a batch of
     * {@code n} for KV head {@code head}, from worker threads. Scoring policies record them here.
     */
    protected void onAttention(int layer, int head, int i, int n, float[] weights, int group, int visible) {
    }

    @Override
    public void commit(int n) {
        position += n;
        for (int l = 0; l < used.length; l++) {
            if (used[l] != used[0]) {
                throw new IllegalStateException("layers out of step: layer " + l + " holds " + used[l] + " slots, layer 0 " + used[0]);
            }
        }
        updatePeak();
        maybeCompress(false);
    }

    @Override
    public void endPrefill() {
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
     * Compresses if the policy wants to. {@code endOfPrompt} is true once, after the prompt; false
     * after every committed batch during decoding. Returns whether anything was compressed.
     */
    protected abstract boolean compress(boolean endOfPrompt);

    /** Sets the slot count of a layer after a policy compacted its arrays in place. */
    protected final void setSlots(int layer, int slots) {
        used[layer] = slots;
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
        long meta = slots * layout.kvHeads() * (trackSizes ? 2L * Float.BYTES + Integer.BYTES : 0L);
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
        java.util.Arrays.fill(used, 0);
        position = 0;
        peakBytes = 0;
        compressions = 0;
        compressionNanos = 0;
    }
}
