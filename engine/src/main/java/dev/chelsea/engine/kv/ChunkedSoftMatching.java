package dev.chelsea.engine.kv;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Chunked Soft Matching (CHELSEA.md §1.4): plans which keys of a region merge, without touching
 * the cache, so that its invariants can be checked on their own.
 *
 * <p>The region is cut, in temporal order, into chunks of {@code chunk} slots; a tail shorter than
 * a chunk is left alone. Inside a chunk, even local indices are sources (A) and odd ones are
 * destinations (B); with an odd chunk the last slot goes to B, so |A| = floor(c/2) and at most
 * half of a chunk can merge in one pass. Similarity is the cosine of keys; each source picks its
 * most similar destination (ties: the earliest), and the best edges are kept, either the same
 * number in every chunk or (option) the best ones across all chunks. A plan never merges across a
 * chunk boundary.
 *
 * <p>An instance holds scratch space and is not thread-safe; use one per thread.
 */
public final class ChunkedSoftMatching {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * One pass of a schedule.
     *
     * @param chunks   whole chunks in the region at this pass
     * @param perChunk merges taken from every chunk, or -1 when edges are ranked across chunks
     * @param merges   merges in the whole region
     */
    public record Pass(int chunks, int perChunk, int merges) {
    }

    private final int chunk;
    private final int headDim;
    private final int aCount;
    private final int bCount;
    private final int bPad;
    private final float[] unit;  // [chunk][headDim] normalised keys of the chunk being scored
    private final float[] bT;    // [headDim][bPad] destinations, transposed so sims vectorise along B
    private final float[] sim;   // [4][bPad]
    private int[] best = new int[0];
    private float[] bestScore = new float[0];
    private long[] edges = new long[0];

    public ChunkedSoftMatching(int chunk, int headDim) {
        if (chunk < 2) {
            throw new IllegalArgumentException("chunk size must be at least 2, got " + chunk);
        }
        if (headDim <= 0) {
            throw new IllegalArgumentException("head dimension must be positive, got " + headDim);
        }
        this.chunk = chunk;
        this.headDim = headDim;
        this.aCount = chunk / 2;
        this.bCount = chunk - aCount;
        this.bPad = (bCount + F.length() - 1) / F.length() * F.length();
        this.unit = new float[chunk * headDim];
        this.bT = new float[headDim * bPad];
        this.sim = new float[4 * bPad];
    }

    /**
     * The passes that bring a region of {@code m} slots down to {@code target}: each pass removes
     * at most half of every whole chunk, and the region is re-chunked after each pass. With the
     * same number per chunk, {@code r = ceil(remaining / chunks)} so the last pass may overshoot by
     * less than one merge per chunk; ranked globally, a pass removes exactly what is left (up to
     * the per-pass maximum). Stops early when no whole chunk is left.
     */
    public static List<Pass> schedule(int m, int target, int chunk, boolean global) {
        List<Pass> passes = new ArrayList<>();
        int remaining = m - Math.max(target, 0);
        while (remaining > 0) {
            int chunks = m / chunk;
            if (chunks == 0) {
                break;
            }
            int wanted = Math.min(remaining, chunks * (chunk / 2));
            Pass p = global ? new Pass(chunks, -1, wanted) : perChunk(chunks, (wanted + chunks - 1) / chunks);
            passes.add(p);
            m -= p.merges();
            remaining -= p.merges();
        }
        return passes;
    }

    private static Pass perChunk(int chunks, int r) {
        return new Pass(chunks, r, chunks * r);
    }

    /** Slots per chunk. */
    public int chunk() {
        return chunk;
    }

    /** Local index (within its chunk) of source {@code a}. */
    public int sourceSlot(int a) {
        return 2 * a;
    }

    /** Local index (within its chunk) of destination {@code b}; with an odd chunk the last slot is a destination. */
    public int destinationSlot(int b) {
        return b < aCount ? 2 * b + 1 : chunk - 1;
    }

    /**
     * Plans one pass over {@code count} slots of {@code keys} ({@code [slot][headDim]}) starting at
     * slot {@code from}. On return {@code dest[i]} ({@code i < count}) is the region index that slot
     * {@code from + i} merges into, or -1 if it stays. Returns the number of merges.
     */
    public int plan(float[] keys, int from, int count, Pass pass, int[] dest) {
        int chunks = count / chunk;
        if (chunks != pass.chunks()) {
            throw new IllegalArgumentException("pass planned for " + pass.chunks() + " chunks, region of " + count
                    + " slots has " + chunks);
        }
        if (pass.perChunk() > aCount || pass.merges() > chunks * aCount) {
            throw new IllegalArgumentException("a pass merges at most " + aCount + " slots per chunk of " + chunk + ", asked " + pass);
        }
        Arrays.fill(dest, 0, count, -1);
        int sources = chunks * aCount;
        if (best.length < sources) {
            best = new int[sources];
            bestScore = new float[sources];
            edges = new long[sources];
        }
        for (int c = 0; c < chunks; c++) {
            scoreChunk(keys, from + c * chunk, c * aCount);
        }
        if (pass.perChunk() >= 0) {
            for (int c = 0; c < chunks; c++) {
                take(c * aCount, aCount, pass.perChunk(), dest);
            }
            return chunks * pass.perChunk();
        }
        take(0, sources, pass.merges(), dest);
        return pass.merges();
    }

    /** Merges the {@code r} best edges among sources {@code [first, first + n)} (global source indices). */
    private void take(int first, int n, int r, int[] dest) {
        for (int s = 0; s < n; s++) {
            edges[s] = edgeKey(bestScore[first + s], first + s);
        }
        Arrays.sort(edges, 0, n);
        for (int e = 0; e < r; e++) {
            int s = (int) edges[e];
            int c = s / aCount;
            dest[c * chunk + sourceSlot(s % aCount)] = c * chunk + destinationSlot(best[s]);
        }
    }

    /** Sorts by descending score, then ascending source index, so plans are deterministic. */
    private static long edgeKey(float score, int source) {
        if (score != score) {
            score = Float.NEGATIVE_INFINITY;
        }
        int bits = Float.floatToIntBits(score);
        int ordered = bits < 0 ? bits ^ 0x7fffffff : bits;
        return ((long) ~ordered << 32) | source;
    }

    /** Each source of the chunk at slot {@code start}: its most similar destination and the cosine. */
    private void scoreChunk(float[] keys, int start, int out) {
        int d = headDim;
        for (int t = 0; t < chunk; t++) {
            normalise(keys, (start + t) * d, unit, t * d, d);
        }
        for (int b = 0; b < bCount; b++) {
            int row = destinationSlot(b) * d;
            for (int k = 0; k < d; k++) {
                bT[k * bPad + b] = unit[row + k];
            }
        }
        // Four sources at a time: each destination vector loaded feeds four independent FMA chains.
        int a = 0;
        for (; a + 4 <= aCount; a += 4) {
            int r0 = sourceSlot(a) * d, r1 = sourceSlot(a + 1) * d, r2 = sourceSlot(a + 2) * d, r3 = sourceSlot(a + 3) * d;
            for (int j = 0; j < bPad; j += F.length()) {
                FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                for (int k = 0; k < d; k++) {
                    FloatVector b = FloatVector.fromArray(F, bT, k * bPad + j);
                    s0 = b.fma(FloatVector.broadcast(F, unit[r0 + k]), s0);
                    s1 = b.fma(FloatVector.broadcast(F, unit[r1 + k]), s1);
                    s2 = b.fma(FloatVector.broadcast(F, unit[r2 + k]), s2);
                    s3 = b.fma(FloatVector.broadcast(F, unit[r3 + k]), s3);
                }
                s0.intoArray(sim, j);
                s1.intoArray(sim, bPad + j);
                s2.intoArray(sim, 2 * bPad + j);
                s3.intoArray(sim, 3 * bPad + j);
            }
            for (int i = 0; i < 4; i++) {
                pickBest(i * bPad, out + a + i);
            }
        }
        for (; a < aCount; a++) {
            int row = sourceSlot(a) * d;
            for (int j = 0; j < bPad; j += F.length()) {
                FloatVector acc = FloatVector.zero(F);
                for (int k = 0; k < d; k++) {
                    acc = FloatVector.fromArray(F, bT, k * bPad + j).fma(FloatVector.broadcast(F, unit[row + k]), acc);
                }
                acc.intoArray(sim, j);
            }
            pickBest(0, out + a);
        }
    }

    /** Argmax (first on ties) of the destinations' similarities in {@code sim[off..off + bCount)}. */
    private void pickBest(int off, int source) {
        int arg = 0;
        float max = sim[off];
        for (int b = 1; b < bCount; b++) {
            if (sim[off + b] > max) {
                max = sim[off + b];
                arg = b;
            }
        }
        best[source] = arg;
        bestScore[source] = max;
    }

    /** Writes {@code x / |x|} (zero for a zero vector) into {@code y}. */
    static void normalise(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        float sum = 0f;
        int upper = F.loopBound(n);
        if (upper > 0) {
            FloatVector acc = FloatVector.zero(F);
            for (; i < upper; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + i);
                acc = v.fma(v, acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            sum += x[xOff + i] * x[xOff + i];
        }
        float inv = sum > 0 ? (float) (1.0 / Math.sqrt(sum)) : 0f;
        i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).mul(inv).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = x[xOff + i] * inv;
        }
    }
}
