package dev.chelsea.engine.backend.cpu;

import dev.chelsea.engine.kernel.Attention;
import dev.chelsea.engine.kernel.BlockAttention;
import dev.chelsea.engine.kernel.HalfAttention;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.ChunkedSoftMatching;
import dev.chelsea.engine.kv.HostKvStore;
import dev.chelsea.engine.kv.KvLayerImage;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPlan;
import dev.chelsea.engine.kv.KvStore;
import dev.chelsea.engine.kv.KvStoreSpec;
import dev.chelsea.engine.kv.KvType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The CPU backend's KV store: per layer and KV head, contiguous arrays of keys and values (float32,
 * or half floats for {@link KvType#F16}: decode attention then reads half the bytes),
 * the original position of each slot, and as the spec asks the cluster size of each slot and its
 * log (which attention adds to the logits of merged slots), the attention each slot received, and
 * the last queries of each layer. Attention runs here, over the slots held, with the kernels of
 * {@code kernel/}; plans are applied in place, one (layer, head) per task on the model's threads.
 *
 * <p>A half-float store widens what a step needs into per-thread float buffers: a prompt batch's
 * visible slots for the tiled kernel, a head's slots for a merge (which then rounds the result
 * back; slots left alone round-trip exactly), and {@link #keys}/{@link #values} return widened
 * copies.
 */
public final class CpuKvStore implements HostKvStore {
    private static final int INITIAL_SLOTS = 256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Floats past a head's scores in {@link #scratch}: a whole vector, the most the attention kernels store at once. */
    private static final int SCORE_SLACK = F.length();

    private final KvLayout layout;
    private final KvStoreSpec spec;
    private final KvType type;
    private final Parallel parallel;
    /** Most slots a layer is ever allocated (from a limit in bytes; see {@link #maxSlots()}). */
    private final int maxSlots;
    private final float[][][] keys;     // [layer][kvHead][slot * headDim + d], null for F16
    private final float[][][] values;
    private final short[][][] halfKeys; // half floats in blocks of slots (HalfAttention.keyIndex), null for F32
    private final short[][][] halfValues;
    private final float[][][] sizes;    // [layer][kvHead][slot], null unless spec.sizes()
    private final float[][][] logSizes;
    private final float[][][] scores;   // [layer][kvHead][slot], null unless spec.scores()
    private final int[][][] positions;  // [layer][kvHead][slot]: original position (a cluster keeps its destination's)
    private final int[] used;           // slots per layer
    private final int[] tokens;         // tokens appended per layer: the position of the next one
    private final boolean[] merged;     // per layer: whether any slot stands for more than one token
    private final Object[] headLocks;
    private final float[][] observed;   // [layer][window * heads * headDim]: the last queries, a ring
    private final int[][] observedPositions;
    private final int[] observedTotal;
    private int queryHeads;
    private boolean inPrompt = true;
    private boolean scoring;
    private final ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<BlockAttention.Scratch> blockScratch = ThreadLocal.withInitial(BlockAttention.Scratch::new);
    private final ThreadLocal<ChunkedSoftMatching> matching = new ThreadLocal<>();
    private final ThreadLocal<float[][]> widened = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});
    /** Which head this thread's widened buffers hold, for a prompt batch's blocks of one head: layer, head, attend call. */
    private final ThreadLocal<long[]> widenedFor = ThreadLocal.withInitial(() -> new long[] {-1, -1, -1});
    private long attendCalls;

    public CpuKvStore(KvLayout layout, KvStoreSpec spec, Parallel parallel) {
        this(layout, spec, KvType.F32, parallel);
    }

    public CpuKvStore(KvLayout layout, KvStoreSpec spec, KvType type, Parallel parallel) {
        this(layout, spec, type, parallel, Integer.MAX_VALUE);
    }

    /**
     * A store whose layers are never allocated more than {@code maxSlots} slots per KV head (what
     * a limit in bytes allows, {@code KvCache.capacity}); appending beyond fails.
     */
    public CpuKvStore(KvLayout layout, KvStoreSpec spec, KvType type, Parallel parallel, int maxSlots) {
        if (maxSlots <= 0) {
            throw new IllegalArgumentException("a KV store needs room for at least one slot, got " + maxSlots);
        }
        this.layout = layout;
        this.spec = spec;
        this.type = type;
        this.parallel = parallel;
        this.maxSlots = maxSlots;
        int l = layout.layers(), h = layout.kvHeads();
        boolean half = type == KvType.F16;
        keys = half ? null : new float[l][h][0];
        values = half ? null : new float[l][h][0];
        halfKeys = half ? new short[l][h][0] : null;
        halfValues = half ? new short[l][h][0] : null;
        positions = new int[l][h][0];
        sizes = spec.sizes() ? new float[l][h][0] : null;
        logSizes = spec.sizes() ? new float[l][h][0] : null;
        scores = spec.scores() ? new float[l][h][0] : null;
        used = new int[l];
        tokens = new int[l];
        merged = new boolean[l];
        headLocks = new Object[h];
        for (int i = 0; i < h; i++) {
            headLocks[i] = new Object();
        }
        observed = new float[l][0];
        observedPositions = new int[l][spec.queryWindow()];
        observedTotal = new int[l];
    }

    @Override
    public KvLayout layout() {
        return layout;
    }

    public KvType type() {
        return type;
    }

    @Override
    public int slots(int layer) {
        return used[layer];
    }

    @Override
    public boolean supports(Feature feature) {
        return switch (feature) {
            case MERGE -> spec.sizes();
            case ATTENTION_SCORES -> spec.scores();
            case KEEP, EVICT, POSITIONS, HOST_READ -> true;
        };
    }

    @Override
    public Parallel parallel() {
        return parallel;
    }

    @Override
    public void setScoring(boolean on) {
        if (on && scores == null) {
            throw new IllegalStateException("this store was not created to score attention");
        }
        scoring = on;
    }

    @Override
    public void setPromptPhase(boolean inPrompt) {
        this.inPrompt = inPrompt;
    }

    /**
     * Most bytes a store made for {@code spec} in {@code type} occupies while it holds at most
     * {@code slots} slots per layer and KV head, never growing beyond {@code maxSlots}: its arrays
     * start at {@value #INITIAL_SLOTS} slots and grow by half (see {@link #ensureCapacity}), so they
     * may be half again as large as what they hold (half keys in whole blocks of
     * {@link HalfAttention#KEY_BLOCK} slots); plus the window of queries a voting policy keeps
     * ({@code queryHeads} heads per query).
     */
    public static long bytesFor(KvLayout layout, KvStoreSpec spec, KvType type, int slots, int queryHeads, int maxSlots) {
        long capacity = Math.min(maxSlots, Math.max(INITIAL_SLOTS, (long) slots + (slots >> 1) + 1));
        if (type == KvType.F16) {
            capacity = (capacity + HalfAttention.KEY_BLOCK - 1) / HalfAttention.KEY_BLOCK * HalfAttention.KEY_BLOCK;
        }
        long window = (long) spec.queryWindow() * queryHeads * layout.headDim() * Float.BYTES;
        return capacity * bytesPerSlot(layout, spec, type) + window * layout.layers();
    }

    /**
     * Bytes one slot of every layer and KV head adds to {@link #footprint()}: keys and values in
     * {@code type}, the position, and as the spec asks the cluster size and its log, the score.
     */
    public static long bytesPerSlot(KvLayout layout, KvStoreSpec spec, KvType type) {
        return (2L * layout.headDim() * type.bytes + metaBytesPerSlot(spec)) * layout.kvHeads() * layout.layers();
    }

    private static long metaBytesPerSlot(KvStoreSpec spec) {
        return Integer.BYTES + (spec.sizes() ? 2L * Float.BYTES : 0L) + (spec.scores() ? Float.BYTES : 0L);
    }

    @Override
    public int maxSlots() {
        return maxSlots;
    }

    /** Slots {@code layer} has room for before it must grow. */
    public int capacity(int layer) {
        return positions[layer][0].length;
    }

    /** Whether attention over {@code layer} adds {@code log(size)} to the logits (merged slots, bias on). */
    public boolean attendsWithSizeBias(int layer) {
        return spec.sizeBias() && merged[layer];
    }

    /** Makes room for {@code slots} entries in {@code layer}. */
    private void ensureCapacity(int layer, int slots) {
        int cap = capacity(layer);
        if (slots <= cap) {
            return;
        }
        if (slots > maxSlots) {
            throw new IllegalStateException("layer " + layer + " of this KV store holds at most " + maxSlots + " slots (its limit in bytes), "
                    + slots + " asked for");
        }
        int spare = spec.spareSlots();
        // A long prompt arrives in batches before any compression: grow geometrically then, or
        // every batch would copy the whole cache.
        long newCap = spare < 0 || inPrompt
                ? Math.max(slots + Math.max(spare, 0), Math.max(INITIAL_SLOTS, cap + (cap >> 1)))
                : (long) slots + spare;
        resize(layer, (int) Math.min(newCap, maxSlots));
    }

    /** Reallocates {@code layer} to exactly {@code newCap} slots (at least the slots in use). */
    private void resize(int layer, int newCap) {
        int d = layout.headDim();
        if (newCap < used[layer]) {
            throw new IllegalArgumentException("cannot shrink layer " + layer + " to " + newCap + " slots, " + used[layer] + " in use");
        }
        for (int h = 0; h < layout.kvHeads(); h++) {
            if (keys != null) {
                keys[layer][h] = Arrays.copyOf(keys[layer][h], newCap * d);
                values[layer][h] = Arrays.copyOf(values[layer][h], newCap * d);
            } else {
                halfKeys[layer][h] = Arrays.copyOf(halfKeys[layer][h], HalfAttention.keyLength(newCap, d));
                halfValues[layer][h] = Arrays.copyOf(halfValues[layer][h], newCap * d);
            }
            positions[layer][h] = Arrays.copyOf(positions[layer][h], newCap);
            if (sizes != null) {
                sizes[layer][h] = Arrays.copyOf(sizes[layer][h], newCap);
                logSizes[layer][h] = Arrays.copyOf(logSizes[layer][h], newCap);
            }
            if (scores != null) {
                scores[layer][h] = Arrays.copyOf(scores[layer][h], newCap);
            }
        }
    }

    /** Releases storage beyond the spare slots (hysteresis: only when twice that is free). */
    @Override
    public void trim() {
        int spare = Math.max(spec.spareSlots(), 0);
        for (int l = 0; l < layout.layers(); l++) {
            if (capacity(l) > used[l] + 2 * spare + 16) {
                resize(l, Math.min(maxSlots, used[l] + spare));
            }
        }
    }

    @Override
    public void append(int layer, float[] k, float[] v, int n) {
        int base = used[layer];
        int firstPos = tokens[layer];
        ensureCapacity(layer, base + n);
        int d = layout.headDim();
        int row = layout.rowFloats();
        for (int h = 0; h < layout.kvHeads(); h++) {
            int[] pd = positions[layer][h];
            for (int t = 0; t < n; t++) {
                if (keys != null) {
                    System.arraycopy(k, t * row + h * d, keys[layer][h], (base + t) * d, d);
                    System.arraycopy(v, t * row + h * d, values[layer][h], (base + t) * d, d);
                } else {
                    HalfAttention.narrowKey(k, t * row + h * d, halfKeys[layer][h], base + t, d);
                    HalfAttention.narrow(v, t * row + h * d, halfValues[layer][h], (base + t) * d, d);
                }
                pd[base + t] = firstPos + t;
            }
            if (sizes != null) {
                Arrays.fill(sizes[layer][h], base, base + n, 1f);
                Arrays.fill(logSizes[layer][h], base, base + n, 0f);
            }
            if (scores != null) {
                Arrays.fill(scores[layer][h], base, base + n, 0f);
            }
        }
        used[layer] = base + n;
        tokens[layer] = firstPos + n;
    }

    @Override
    public void attend(int layer, float[] q, int n, int heads, float[] out) {
        observe(layer, q, n, heads);
        attendQueries(layer, q, n, heads, out);
    }

    /** Queries are read for the policy only when it scores attention (h2o) or votes with a window of them (snapkv). */
    @Override
    public boolean needsEveryQuery() {
        return scoring || spec.queryWindow() > 0;
    }

    @Override
    public void attendLast(int layer, float[] q, int n, int m, int heads, float[] out) {
        if (m < 0 || m > n) {
            throw new IllegalArgumentException("the last " + m + " of " + n + " tokens");
        }
        if (m == n) {
            attend(layer, q, n, heads, out);
            return;
        }
        if (needsEveryQuery()) {
            throw new IllegalStateException("this store's policy reads every query (it scores attention or keeps a window of queries)");
        }
        if (m > 0) {
            attendQueries(layer, q, m, heads, out);
        }
    }

    /** Attention of the last {@code n} slots appended to {@code layer}, whose queries are {@code q}. */
    private void attendQueries(int layer, float[] q, int n, int heads, float[] out) {
        int kvHeads = layout.kvHeads();
        int d = layout.headDim();
        int group = heads / kvHeads;
        int total = used[layer];
        int before = total - n;
        float scale = (float) (1.0 / Math.sqrt(d));
        boolean bias = attendsWithSizeBias(layer);
        boolean weights = scoring;
        long call = ++attendCalls;
        // Decoding reads the whole cache for one query, bound by memory, which attendGroup reads once
        // per group; a batch of few rows would be mostly padding in the tiled kernel.
        if (n == 1 || !BlockAttention.pays(n, group)) {
            parallel.forEach(kvHeads * n, task -> {
                int h = task % kvHeads;
                int i = task / kvHeads;
                int visible = before + i + 1;
                float[] s = scratch(group * visible);
                int off = i * heads * d + h * group * d;
                float[] b = bias ? logSizes[layer][h] : null;
                if (keys != null) {
                    Attention.attendGroup(q, off, group, keys[layer][h], values[layer][h], b, visible, d, scale, s, out, off);
                } else {
                    HalfAttention.attendGroup(q, off, group, halfKeys[layer][h], halfValues[layer][h], b, visible, d, scale, s, out, off);
                }
                if (weights) {
                    accumulateScores(layer, h, n, s, group, visible);
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
            float[] k = keys != null ? keys[layer][h] : widenedHead(layer, h, total, call)[0];
            float[] v = keys != null ? values[layer][h] : widenedHead(layer, h, total, call)[1];
            BlockAttention.attend(q, heads, h, group, first, count, before, k, v,
                    bias ? logSizes[layer][h] : null, d, scale, out, s, weights);
            for (int i = 0; weights && i < count; i++) {
                accumulateScores(layer, h, n, s.weights(i), group, before + first + i + 1);
            }
        });
    }

    /** Thread-local float buffer {@code which} (0: keys, 1: values) of at least {@code n} floats. */
    private float[] widened(int which, int n) {
        float[][] w = widened.get();
        if (w[which].length < n) {
            w[which] = new float[Math.max(n, w[which].length + (w[which].length >> 1))];
        }
        return w[which];
    }

    /**
     * Keys and values of a half store's head widened into this thread's buffers, once per attend
     * call: the blocks of a prompt batch's queries on one head (tasks are head-major) share them.
     */
    private float[][] widenedHead(int layer, int head, int slots, long call) {
        long[] f = widenedFor.get();
        if (f[0] != layer || f[1] != head || f[2] != call) {
            widenKeys(layer, head, slots);
            widenValues(layer, head, slots);
            f[0] = layer;
            f[1] = head;
            f[2] = call;
        }
        return widened.get();
    }

    /** The first {@code slots} keys of a half store's head, widened into this thread's key buffer. */
    private float[] widenKeys(int layer, int head, int slots) {
        float[] k = widened(0, slots * layout.headDim());
        HalfAttention.widenKeys(halfKeys[layer][head], slots, layout.headDim(), k);
        return k;
    }

    private float[] widenValues(int layer, int head, int slots) {
        int n = slots * layout.headDim();
        float[] v = widened(1, n);
        HalfAttention.widen(halfValues[layer][head], 0, v, 0, n);
        return v;
    }

    /**
     * Scores of at least {@code n} floats, and {@link #SCORE_SLACK} more: the attention kernels store
     * a vector of scores from each block's first slot (masked at the end), and C2 hoists that
     * store's bounds check out of the loop over the query heads from its profile, for the whole
     * vector. With the array exactly as long as a new session's first scores (a prompt of 1 to 3
     * tokens, read token by token), that hoisted check failed: the kernel was recompiled and ran
     * in the Vector API's fallback meanwhile (the first 3-token prompt after a warm-up: 128-150 ms
     * and 40 MB allocated, against 50 ms and 9 MB; docs/performance.md, twenty-fourth session).
     */
    private float[] scratch(int n) {
        float[] s = scratch.get();
        if (s.length < n + SCORE_SLACK) {
            s = new float[Math.max(n + SCORE_SLACK, s.length + (s.length >> 1))];
            scratch.set(s);
        }
        return s;
    }

    /** Keeps the last {@code window} queries of each layer, for policies that vote with them. */
    private void observe(int layer, float[] q, int n, int heads) {
        int window = spec.queryWindow();
        if (window == 0) {
            return;
        }
        int row = heads * layout.headDim();
        if (heads != queryHeads) {
            queryHeads = heads;
            for (int l = 0; l < observed.length; l++) {
                observed[l] = new float[window * row];
            }
            Arrays.fill(observedTotal, 0);
        }
        int firstPos = tokens[layer] - n;
        for (int i = Math.max(0, n - window); i < n; i++) {
            int r = observedTotal[layer] % window;
            System.arraycopy(q, i * row, observed[layer], r * row, row);
            observedPositions[layer][r] = firstPos + i;
            observedTotal[layer]++;
        }
    }

    /**
     * Adds the attention a query gave each slot, summed over the query heads of the group, to the
     * slots' scores. A prompt batch reports several queries of the same head from different
     * threads, so those updates are serialised per head.
     */
    private void accumulateScores(int layer, int head, int n, float[] weights, int group, int visible) {
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
    public void apply(KvPlan plan) {
        KvPlan.Layer[] layers = plan.layers();
        int kvHeads = layout.kvHeads();
        int[] after = new int[layers.length];
        for (int l = 0; l < layers.length; l++) {
            after[l] = layers[l] == null ? used[l] : layers[l].slotsAfter(used[l]);
        }
        parallel.forEach(layers.length * kvHeads, task -> {
            int l = task / kvHeads, h = task % kvHeads;
            switch (layers[l]) {
                case null -> { }
                case KvPlan.Merge m -> merge(l, h, m);
                case KvPlan.Keep k -> retain(l, h, k.kept()[h], k.kept()[h].length, null);
                case KvPlan.Evict e -> evict(l, h, e);
            }
            if (plan.resetScores() && scores != null && layers[l] != null) {
                Arrays.fill(scores[l][h], 0, after[l], 0f);
            }
        });
        for (int l = 0; l < layers.length; l++) {
            if (layers[l] instanceof KvPlan.Merge m && m.merges() > 0) {
                merged[l] = true;
            }
            used[l] = after[l];
        }
    }

    /** The merge passes of a plan on one head: plan with chunked soft matching, fold sources into destinations, compact. */
    private void merge(int layer, int head, KvPlan.Merge plan) {
        ChunkedSoftMatching csm = matching.get();
        if (csm == null || csm.chunk() != plan.chunk()) {
            csm = new ChunkedSoftMatching(plan.chunk(), layout.headDim());
            matching.set(csm);
        }
        int n = used[layer];
        int from = plan.from();
        int m = plan.count();
        int[] dest = new int[m];
        int[] kept = new int[n];
        // A half store merges in floats and rounds back: the merged centroids round once, the slots
        // left alone come back exactly.
        widenedFor.get()[2] = -1;
        float[] k = keys != null ? keys[layer][head] : widenKeys(layer, head, n);
        float[] v = keys != null ? values[layer][head] : widenValues(layer, head, n);
        float[][] kv = keys != null ? null : new float[][] {k, v};
        for (ChunkedSoftMatching.Pass pass : plan.passes()) {
            int merges = csm.plan(k, from, m, pass, dest);
            mergeInto(k, v, layer, head, from, m, dest);
            int c = 0;
            for (int s = 0; s < from; s++) {
                kept[c++] = s;
            }
            for (int i = 0; i < m; i++) {
                if (dest[i] < 0) {
                    kept[c++] = from + i;
                }
            }
            for (int s = from + m; s < n; s++) {
                kept[c++] = s;
            }
            retain(layer, head, kept, c, kv);
            n -= merges;
            m -= merges;
        }
        if (kv != null) {
            int d = layout.headDim();
            for (int slot = 0; slot < n; slot++) {
                HalfAttention.narrowKey(k, slot * d, halfKeys[layer][head], slot, d);
            }
            HalfAttention.narrow(v, 0, halfValues[layer][head], 0, n * d);
        }
    }

    /**
     * Folds every source into its destination as a running size-weighted mean, sources in slot
     * order: the result is the weighted centroid, and identical entries leave it bitwise unchanged.
     * Destinations are never sources, so the order of the updates cannot read a half-merged slot.
     */
    private void mergeInto(float[] k, float[] v, int layer, int head, int from, int count, int[] dest) {
        int d = layout.headDim();
        float[] s = sizes[layer][head], ls = logSizes[layer][head];
        for (int i = 0; i < count; i++) {
            if (dest[i] < 0) {
                continue;
            }
            int a = from + i, b = from + dest[i];
            float total = s[a] + s[b];
            float w = s[a] / total;
            lerp(k, a * d, b * d, w, d);
            lerp(v, a * d, b * d, w, d);
            s[b] = total;
            ls[b] = (float) Math.log(total);
        }
    }

    /** {@code y += (x - y) * w} over {@code n} floats of the same array. */
    private static void lerp(float[] arr, int xOff, int yOff, float w, int n) {
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += F.length()) {
            FloatVector y = FloatVector.fromArray(F, arr, yOff + i);
            FloatVector.fromArray(F, arr, xOff + i).sub(y).fma(FloatVector.broadcast(F, w), y).intoArray(arr, yOff + i);
        }
        for (; i < n; i++) {
            arr[yOff + i] += (arr[xOff + i] - arr[yOff + i]) * w;
        }
    }

    /**
     * Moves {@code count} consecutive slots of one head (everything a slot carries), like
     * {@code System.arraycopy}; keys and values move in {@code kv} (widened ones) when given.
     */
    private void moveSlots(int layer, int head, int from, int to, int count, float[][] kv) {
        if (from == to || count == 0) {
            return;
        }
        int d = layout.headDim();
        if (kv != null) {
            System.arraycopy(kv[0], from * d, kv[0], to * d, count * d);
            System.arraycopy(kv[1], from * d, kv[1], to * d, count * d);
        } else if (keys != null) {
            System.arraycopy(keys[layer][head], from * d, keys[layer][head], to * d, count * d);
            System.arraycopy(values[layer][head], from * d, values[layer][head], to * d, count * d);
        } else {
            HalfAttention.moveKeys(halfKeys[layer][head], from, to, count, d);
            System.arraycopy(halfValues[layer][head], from * d, halfValues[layer][head], to * d, count * d);
        }
        System.arraycopy(positions[layer][head], from, positions[layer][head], to, count);
        if (sizes != null) {
            System.arraycopy(sizes[layer][head], from, sizes[layer][head], to, count);
            System.arraycopy(logSizes[layer][head], from, logSizes[layer][head], to, count);
        }
        if (scores != null) {
            System.arraycopy(scores[layer][head], from, scores[layer][head], to, count);
        }
    }

    /**
     * Keeps slots {@code kept[0..k)} (strictly ascending) of one head, in temporal order, in slots
     * {@code 0..k)}. Runs of consecutive slots move as one block.
     */
    private void retain(int layer, int head, int[] kept, int k, float[][] kv) {
        int to = 0;
        for (int i = 0; i < k; ) {
            int from = kept[i];
            int run = 1;
            while (i + run < k && kept[i + run] == from + run) {
                run++;
            }
            moveSlots(layer, head, from, to, run, kv);
            to += run;
            i += run;
        }
    }

    /**
     * Removes {@code victims[0..k)} (strictly ascending, all below {@code end}) of one head: each
     * hole is filled with a survivor from the end of that region, then slots {@code [end, used)}
     * (the recent window, which stays in order) shift down by {@code k}. Costs
     * {@code O((k + window) * headDim)} instead of moving the whole cache, which matters for
     * policies that evict every step.
     */
    private void evict(int layer, int head, KvPlan.Evict e) {
        int[] runs = e.runs(head, used[layer]);
        for (int r = 0; r < runs.length; r += 3) {
            moveSlots(layer, head, runs[r], runs[r + 1], runs[r + 2], null);
        }
    }

    @Override
    public int[] positions(int layer, int head) {
        return positions[layer][head];
    }

    /** The live array, or for a half store a widened copy of the slots in use. */
    @Override
    public float[] keys(int layer, int head) {
        if (keys != null) {
            return keys[layer][head];
        }
        float[] k = new float[used[layer] * layout.headDim()];
        HalfAttention.widenKeys(halfKeys[layer][head], used[layer], layout.headDim(), k);
        return k;
    }

    /** The live array, or for a half store a widened copy of the slots in use. */
    @Override
    public float[] values(int layer, int head) {
        return values != null ? values[layer][head] : widenedCopy(halfValues[layer][head], used[layer]);
    }

    private float[] widenedCopy(short[] half, int slots) {
        float[] f = new float[slots * layout.headDim()];
        HalfAttention.widen(half, 0, f, 0, f.length);
        return f;
    }

    @Override
    public float[] sizes(int layer, int head) {
        return sizes == null ? null : sizes[layer][head];
    }

    /** Logs of the cluster sizes of one head (the attention bias), or null. */
    public float[] logSizes(int layer, int head) {
        return logSizes == null ? null : logSizes[layer][head];
    }

    @Override
    public float[] scores(int layer, int head) {
        return scores == null ? null : scores[layer][head];
    }

    @Override
    public int queryHeads() {
        return queryHeads;
    }

    @Override
    public int queriesSeen(int layer) {
        return observedTotal[layer];
    }

    @Override
    public float[] queries(int layer) {
        return observed[layer];
    }

    @Override
    public int[] queryPositions(int layer) {
        return observedPositions[layer];
    }

    @Override
    public Footprint footprint() {
        long slots = 0;
        for (int u : used) {
            slots += u;
        }
        long kb = slots * layout.kvHeads() * layout.headDim() * type.bytes;
        return new Footprint(kb, kb, slots * layout.kvHeads() * metaBytesPerSlot(spec));
    }

    @Override
    public long bytesPerToken() {
        return 2L * layout.layers() * layout.kvHeads() * layout.headDim() * type.bytes;
    }

    @Override
    public void copyTo(KvStore target) {
        if (!(target instanceof CpuKvStore t)) {
            throw new IllegalArgumentException("a CPU KV store copies only into another CPU store, not " + target.getClass().getSimpleName());
        }
        if (!t.layout.equals(layout)) {
            throw new IllegalArgumentException("layouts differ: " + layout + " and " + t.layout);
        }
        for (int l = 0; l < layout.layers(); l++) {
            if (t.used[l] != 0) {
                throw new IllegalArgumentException("the target store already holds slots");
            }
        }
        for (int l = 0; l < layout.layers(); l++) {
            t.ensureCapacity(l, used[l]);
            t.fillLayer(l, exportLayer(l, false));
        }
    }

    @Override
    public KvStore snapshot() {
        CpuKvStore s = new CpuKvStore(layout, spec, type, parallel);
        for (int l = 0; l < layout.layers(); l++) {
            s.resize(l, used[l]);
        }
        copyTo(s);
        return s;
    }

    @Override
    public KvLayerImage exportLayer(int layer) {
        return exportLayer(layer, true);
    }

    /** One layer's state; {@code copy} false hands out the live arrays (for {@link #copyTo}, which only reads them). */
    private KvLayerImage exportLayer(int layer, boolean copy) {
        int n = used[layer], d = layout.headDim(), h = layout.kvHeads();
        int[][] pos = new int[h][];
        float[][] k = new float[h][], v = new float[h][];
        float[][] sz = sizes == null ? null : new float[h][], sc = scores == null ? null : new float[h][];
        for (int i = 0; i < h; i++) {
            pos[i] = copy ? Arrays.copyOf(positions[layer][i], n) : positions[layer][i];
            if (keys != null) {
                k[i] = copy ? Arrays.copyOf(keys[layer][i], n * d) : keys[layer][i];
                v[i] = copy ? Arrays.copyOf(values[layer][i], n * d) : values[layer][i];
            } else {
                // images are float32 whatever the store keeps: a half store widens (exact), and narrows back on import
                k[i] = keys(layer, i);
                v[i] = values(layer, i);
            }
            if (sz != null) {
                sz[i] = copy ? Arrays.copyOf(sizes[layer][i], n) : sizes[layer][i];
            }
            if (sc != null) {
                sc[i] = copy ? Arrays.copyOf(scores[layer][i], n) : scores[layer][i];
            }
        }
        boolean ring = spec.queryWindow() > 0 && queryHeads > 0;
        return new KvLayerImage(n, tokens[layer], merged[layer], pos, k, v, sz, sc, ring ? queryHeads : 0, observedTotal[layer],
                ring ? (copy ? observed[layer].clone() : observed[layer]) : null,
                ring ? (copy ? observedPositions[layer].clone() : observedPositions[layer]) : null);
    }

    @Override
    public void importLayer(int layer, KvLayerImage image) {
        if (used[layer] != 0) {
            throw new IllegalArgumentException("layer " + layer + " of the target store already holds slots");
        }
        image.check(layout, spec);
        ensureCapacity(layer, image.slots());
        fillLayer(layer, image);
    }

    /**
     * Writes a layer's state into this store's empty layer, which has room for it. Arrays of the
     * image may be longer than its slots (live arrays of another store); what this store keeps and
     * the image lacks starts as a new token's would.
     */
    private void fillLayer(int layer, KvLayerImage image) {
        int n = image.slots(), d = layout.headDim();
        for (int h = 0; h < layout.kvHeads(); h++) {
            if (keys != null) {
                System.arraycopy(image.keys()[h], 0, keys[layer][h], 0, n * d);
                System.arraycopy(image.values()[h], 0, values[layer][h], 0, n * d);
            } else {
                for (int slot = 0; slot < n; slot++) {
                    HalfAttention.narrowKey(image.keys()[h], slot * d, halfKeys[layer][h], slot, d);
                }
                HalfAttention.narrow(image.values()[h], 0, halfValues[layer][h], 0, n * d);
            }
            System.arraycopy(image.positions()[h], 0, positions[layer][h], 0, n);
            if (sizes != null) {
                if (image.sizes() != null) {
                    System.arraycopy(image.sizes()[h], 0, sizes[layer][h], 0, n);
                    for (int i = 0; i < n; i++) {
                        logSizes[layer][h][i] = (float) Math.log(sizes[layer][h][i]);
                    }
                } else {
                    Arrays.fill(sizes[layer][h], 0, n, 1f);
                    Arrays.fill(logSizes[layer][h], 0, n, 0f);
                }
            }
            if (scores != null) {
                if (image.scores() != null) {
                    System.arraycopy(image.scores()[h], 0, scores[layer][h], 0, n);
                } else {
                    Arrays.fill(scores[layer][h], 0, n, 0f);
                }
            }
        }
        used[layer] = n;
        tokens[layer] = image.tokens();
        merged[layer] = image.merged() && sizes != null;
        int window = spec.queryWindow();
        if (image.queries() != null && window > 0 && image.queryPositions().length == window) {
            if (queryHeads != image.queryHeads()) {
                queryHeads = image.queryHeads();
                for (int l = 0; l < observed.length; l++) {
                    observed[l] = new float[window * queryHeads * layout.headDim()];
                }
                Arrays.fill(observedTotal, 0);
            }
            System.arraycopy(image.queries(), 0, observed[layer], 0, observed[layer].length);
            System.arraycopy(image.queryPositions(), 0, observedPositions[layer], 0, window);
            observedTotal[layer] = image.queriesSeen();
        }
    }

    @Override
    public void clear() {
        Arrays.fill(used, 0);
        Arrays.fill(tokens, 0);
        Arrays.fill(merged, false);
        Arrays.fill(observedTotal, 0);
    }

    @Override
    public void close() {
        // Heap arrays: the garbage collector frees them.
    }
}
