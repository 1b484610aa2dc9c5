package dev.chelsea.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;

import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.H;
import static dev.chelsea.engine.tensor.Simd.I;
import static jdk.incubator.vector.VectorOperators.ABS;
import static jdk.incubator.vector.VectorOperators.F2I;
import static jdk.incubator.vector.VectorOperators.I2S;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.ROL;

/**
 * Activation vectors quantized to 8 bits for the integer kernels of {@link InterleavedMatrix}, as
 * llama.cpp quantizes them for its quantized products: each block of 32 values gets the scale
 * {@code d = max|x| / 127} and the values {@code q = round(x / d)}, in {@code [-127, 127]}, so that
 * {@code |x - d q| <= d / 2}. Values {@code 2k} and {@code 2k + 1} are packed in one int as
 * {@code q[2k + 1] + 65536 q[2k]}: multiplied by a pair of weights packed as
 * {@code w[2k] + 65536 w[2k + 1]}, the high half of the product is their two-term dot product
 * (see {@link InterleavedMatrix}). Per 16 values, {@code d} times the sum of the {@code q} is kept
 * for the formats whose values carry an offset. The K formats take the form with one scale per 256
 * values instead ({@link #superBlocks}, in both layouts), as llama.cpp's Q8_K: their kernels for a
 * few vectors then keep each super-block in integers until its end.
 *
 * <p>Two layouts. For a few vectors (decode), vector by vector: {@code pairs[t][cols / 2]}, and the
 * kernels broadcast one pair to all rows. For a batch, transposed in the tiles
 * the batch kernel reads ({@link QuantizedPanelMatMul}): one vector load holds the same pair of
 * {@code L} vectors, as {@code q[2k] | q[2k + 1] << 16} (two exact 16-bit halves) where that
 * kernel multiplies shorts ({@link PairProducts#INT16}). Quantizing is done once per input and
 * shared by every thread and every product that reads it. Instances are reused buffers, valid
 * until they are quantized again.
 */
public final class QuantizedActivations {
    public static final int BLOCK = 32;
    /** {@code 1.5 * 2^23}: added and subtracted, rounds a float of magnitude below {@code 2^22} to an integer. */
    private static final float RINT = 0x1.8p23f;
    /** The lanes of an {@link Simd#I} vector that one {@link Simd#H} vector's shorts fill as pairs. */
    private static final VectorMask<Integer> PAIR_LANES = I.indexInRange(0, F_LANES / 2);
    /** Vectors per quantization (one pass of the batch kernel). */
    public static final int MAX_VECTORS = PanelMatMul.MAX_VECTORS;
    /** Blocks of 32 that share one scale in the {@link #superBlocks} form: 256 values, as llama.cpp's Q8_K. */
    public static final int SUPER_BLOCK_BLOCKS = 8;

    int count;
    int cols;
    /** Whether the layout is the batch one; {@link #width} is then the count padded to whole tiles. */
    boolean transposed;
    /**
     * Whether every {@link #SUPER_BLOCK_BLOCKS} blocks of 32 (256 values) share one scale, the
     * largest magnitude of the 256 over 127: llama.cpp's Q8_K, which it multiplies with the K
     * formats. Their super-blocks of 256 weights then need one float conversion in the kernels for a
     * few vectors, not one per block ({@link Q4_KMatrix#gemv}, {@link Q6_KMatrix#gemv}); the batch
     * layout takes the same form for them, so that a prompt and its tokens one by one see the same
     * 8-bit values. {@link #scales} still holds a scale per block (8 equal ones).
     */
    boolean superBlocks;
    int width;
    int[] pairs = new int[0];
    /** The scale of each block of 32 values. */
    float[] scales = new float[0];
    /** The scale times the sum of the quantized values, per 16 values. */
    float[] sums = new float[0];
    /**
     * The sum of the quantized values of each block of 32: kernels that multiply unsigned weights
     * subtract their centre times it once per block instead of centring every weight (see
     * {@link InterleavedMatrix}); 2 more entries than blocks so that a kernel may read the next
     * blocks' sums past the last vector's end (and not use them). In the batch layout, laid out as
     * {@link #scales} (for {@code Q4_0Matrix}'s one-tile kernel).
     */
    int[] blockSums = new int[0];
    /**
     * The same per 8 values (by-vector layout only), for the 5- and 6-bit kernels, whose
     * accumulators hold 16 and 8 values; 16 more entries than groups so that a kernel may read
     * the next groups' sums past the last vector's end (and not use them).
     */
    int[] octetSums = new int[0];
    /**
     * {@link InterleavedMatrix#ROUND} minus 32 times each octet's sum in the high half
     * ({@code ROUND - (octetSums[i] << 21)}; by-vector layout only, padded as {@link #octetSums}):
     * where the 6-bit decode kernel ({@code Q6_KMatrix.gemv}), whose unsigned weights are centred
     * on 32, starts each accumulator. Computed once per quantization rather than four times an
     * iteration in that kernel's loop: there the shift, subtraction and move to a vector register
     * were 20 of its 255 instructions, and C2 compiled the loop to 236 without them; one vector
     * times 512 x 2048 Q6_K weights on one core (in cache) took 0.063-0.066 against 0.068-0.071 ms,
     * 1024 x 8192 0.502 against 0.547 ms (both forms alternating in one JVM, medians of 9-11
     * rounds, AMD EPYC Zen 3, AVX2, 2026-12-07).
     */
    int[] octetStarts = new int[0];

    /**
     * Sizes this buffer for {@code n} vectors of {@code cols} values, in the batch layout (for
     * {@link QuantizedPanelMatMul}) or vector by vector (for the kernels of a few vectors,
     * {@link InterleavedMatrix#gemv}); the contents are undefined until quantized. A matrix says
     * which it takes for {@code n} vectors ({@link WeightMatrix#batchFrom}).
     */
    public void reset(int n, int cols, boolean batch) {
        reset(n, cols, batch, false);
    }

    /**
     * Sizes this buffer as {@link #reset(int, int, boolean)} does, with one scale per 256 values
     * when {@code superBlocks} ({@link WeightMatrix#superBlockActivations}).
     */
    public void reset(int n, int cols, boolean batch, boolean superBlocks) {
        if (n < 1 || cols < 1 || cols % BLOCK != 0) {
            throw new IllegalArgumentException("cannot quantize " + n + " vectors of " + cols
                    + " values (whole blocks of " + BLOCK + " needed)");
        }
        if (superBlocks && cols % (BLOCK * SUPER_BLOCK_BLOCKS) != 0) {
            throw new IllegalArgumentException("one scale per " + BLOCK * SUPER_BLOCK_BLOCKS + " values needs whole super-blocks, not "
                    + cols + " values");
        }
        if (n > MAX_VECTORS) {
            throw new IllegalArgumentException(n + " vectors are more than one pass of " + MAX_VECTORS);
        }
        this.count = n;
        this.cols = cols;
        this.transposed = batch;
        this.superBlocks = superBlocks;
        this.width = transposed ? QuantizedPanelMatMul.paddedWidth(n) : n;
        if (pairs.length < width * (cols / 2)) {
            pairs = new int[width * (cols / 2)];
        }
        if (scales.length < width * (cols / BLOCK)) {
            scales = new float[width * (cols / BLOCK)];
        }
        if (sums.length < width * (cols / 16)) {
            sums = new float[width * (cols / 16)];
        }
        if (blockSums.length < width * (cols / BLOCK) + 2) {
            blockSums = new int[width * (cols / BLOCK) + 2];
        }
        if (!transposed && octetSums.length < n * (cols / 8) + 16) {
            octetSums = new int[n * (cols / 8) + 16];
            octetStarts = new int[octetSums.length];
        }
        if (transposed && width > n) {
            // Padding lanes stay zero: they contribute nothing and are never written out.
            for (int t = n; t < width; t++) {
                clear(t);
            }
        }
    }

    /** Quantizes all {@link #count} vectors stored back to back in {@code x}. */
    public void quantize(float[] x) {
        quantizeBlocks(x, 0, cols / BLOCK);
    }

    /**
     * Quantizes blocks {@code [b0, b1)} (of 32 values) of all {@link #count} vectors stored back to
     * back in {@code x}. Threads split a quantization by blocks, not by vectors: in the batch layout
     * the vectors of a tile share every cache line, and two threads writing alternate lanes of the
     * same lines took 13 of a 16-token prompt's 176 ms (7.5% of its samples, Q4_0, AMD EPYC).
     * With {@link #superBlocks}, {@code b0} and {@code b1} are multiples of {@link #blocksPerScale}.
     */
    public void quantizeBlocks(float[] x, int b0, int b1) {
        int per = blocksPerScale();
        if (b0 < 0 || b1 > cols / BLOCK || b0 > b1 || b0 % per != 0 || b1 % per != 0) {
            throw new IllegalArgumentException("blocks [" + b0 + ", " + b1 + ") of " + cols / BLOCK
                    + (per > 1 ? " (whole super-blocks of " + per + " needed)" : ""));
        }
        if ((long) count * cols > x.length) {
            throw new IllegalArgumentException(count + " vectors of " + cols + " values do not fit in x (length " + x.length + ")");
        }
        if (!transposed) {
            for (int t = 0; t < count; t++) {
                int first = t * (cols / BLOCK);
                for (int g = b0; g < b1; g += per) {
                    float amax = amax(x, t * cols + g * BLOCK, per * BLOCK);
                    for (int b = g; b < g + per; b++) {
                        scales[first + b] = quantizePairs(x, t * cols + b * BLOCK, amax, pairs, t * (cols / 2) + b * 16, false);
                    }
                }
                // The sums read the pairs back once the whole range is stored: read right after each
                // block's masked stores, they cost 0.74 against 0.61 ns a value in all.
                for (int b = b0; b < b1; b++) {
                    int at = first + b;
                    int p0 = t * (cols / 2) + b * 16;
                    int e0 = sum4(pairs, p0), e1 = sum4(pairs, p0 + 4), e2 = sum4(pairs, p0 + 8), e3 = sum4(pairs, p0 + 12);
                    octetSums[4 * at] = e0;
                    octetSums[4 * at + 1] = e1;
                    octetSums[4 * at + 2] = e2;
                    octetSums[4 * at + 3] = e3;
                    octetStarts[4 * at] = InterleavedMatrix.ROUND - (e0 << 21);
                    octetStarts[4 * at + 1] = InterleavedMatrix.ROUND - (e1 << 21);
                    octetStarts[4 * at + 2] = InterleavedMatrix.ROUND - (e2 << 21);
                    octetStarts[4 * at + 3] = InterleavedMatrix.ROUND - (e3 << 21);
                    blockSums[at] = e0 + e1 + e2 + e3;
                    int sumAt = t * (cols / 16) + 2 * b;
                    sums[sumAt] = scales[at] * (e0 + e1);
                    sums[sumAt + 1] = scales[at] * (e2 + e3);
                }
            }
            return;
        }
        // Block by block (super-block by super-block) across the vectors of a tile, so that the
        // tile rows written (16 pairs of every vector per block) stay in L1; vector by vector,
        // every pair went to another line.
        int[] block = new int[16];
        for (int tile = 0; tile < count; ) {
            int bw = QuantizedPanelMatMul.tileWidth(tile, width);
            int end = Math.min(count, tile + bw);
            for (int g = b0; g < b1; g += per) {
                for (int v = tile; v < end; v++) {
                    int lane = v - tile;
                    float amax = amax(x, v * cols + g * BLOCK, per * BLOCK);
                    for (int b = g; b < g + per; b++) {
                        float d = quantizePairs(x, v * cols + b * BLOCK, amax, block, 0, PairProducts.SHORTS);
                        int at = tile * (cols / 2) + b * 16 * bw + lane;
                        int s0, s1;
                        if (PairProducts.SHORTS) {
                            s0 = 0;
                            s1 = 0;
                            for (int k = 0; k < 8; k++) {
                                s0 += pairSum(block[k]);
                                s1 += pairSum(block[k + 8]);
                            }
                        } else {
                            // Pairs q[2k + 1] + 65536 q[2k] add up to sum(odd) + 65536 sum(even),
                            // |sum(odd)| <= 8 * 127: one decoding per half-block (as sum4), not
                            // one per pair. 128 vectors of 2048 values in the batch layout on one
                            // core, 1.04-1.05 against 1.41-1.49 ns a value with a scale per block,
                            // 0.93-1.10 against 1.05-1.08 per super-block (AMD EPYC Zen 5,
                            // alternating JVMs, 2026-12-07); 256-token Q4_0 prefills 0.92 and
                            // 0.98x the time (bin/engine-ab --order p, two pairs).
                            s0 = unpair(block[0] + block[1] + block[2] + block[3] + block[4] + block[5] + block[6] + block[7]);
                            s1 = unpair(block[8] + block[9] + block[10] + block[11] + block[12] + block[13] + block[14] + block[15]);
                        }
                        for (int k = 0; k < 16; k++) {
                            pairs[at + k * bw] = block[k];
                        }
                        scales[tile * (cols / BLOCK) + b * bw + lane] = d;
                        blockSums[tile * (cols / BLOCK) + b * bw + lane] = s0 + s1;
                        int sumAt = tile * (cols / 16) + 2 * b * bw + lane;
                        sums[sumAt] = d * s0;
                        sums[sumAt + bw] = d * s1;
                    }
                }
            }
            tile += bw;
        }
    }

    /** Blocks of 32 that share one scale: {@link #SUPER_BLOCK_BLOCKS} with {@link #superBlocks}, else 1. */
    public int blocksPerScale() {
        return superBlocks ? SUPER_BLOCK_BLOCKS : 1;
    }

    public int count() {
        return count;
    }

    public int cols() {
        return cols;
    }

    /**
     * Where value {@code i} (pair, block or half-block index) of vector {@code t} lives in an array
     * holding {@code perVector} of them per vector: {@code at(t, perVector) + i * stride(t)}.
     */
    private int at(int t, int perVector) {
        if (!transposed) {
            return t * perVector;
        }
        int b = QuantizedPanelMatMul.tileStart(t, width);
        return b * perVector + (t - b);
    }

    private int stride(int t) {
        return transposed ? QuantizedPanelMatMul.tileWidth(QuantizedPanelMatMul.tileStart(t, width), width) : 1;
    }

    private void clear(int t) {
        int stride = stride(t);
        for (int k = 0; k < cols / 2; k++) {
            pairs[at(t, cols / 2) + k * stride] = 0;
        }
        for (int b = 0; b < cols / BLOCK; b++) {
            scales[at(t, cols / BLOCK) + b * stride] = 0;
            blockSums[at(t, cols / BLOCK) + b * stride] = 0;
        }
        for (int h = 0; h < cols / 16; h++) {
            sums[at(t, cols / 16) + h * stride] = 0;
        }
    }

    /** The largest magnitude of {@code x[o .. o + len)} ({@code len} a multiple of {@link #BLOCK}). */
    private static float amax(float[] x, int o, int len) {
        FloatVector m = FloatVector.fromArray(F, x, o).lanewise(ABS);
        for (int i = F_LANES; i < len; i += F_LANES) {
            m = FloatVector.fromArray(F, x, o + i).lanewise(ABS).max(m);
        }
        return m.reduceLanes(MAX);
    }

    /**
     * Quantizes the block of 32 values at {@code x[o]} with the scale {@code d = amax / 127}, which
     * it returns, into its 16 pairs at {@code dst[dstAt ..]}. Rounds with the float trick
     * {@code (y + 1.5 * 2^23) - 1.5 * 2^23}, which is {@code rint(y)} for {@code |y| < 2^22};
     * {@code |x / d| <= 127} holds after rounding {@code 127 / amax}, so no value needs clamping.
     * Pairs are formed lane-wise: the ints narrowed to shorts and read back as ints hold
     * {@code q[2k] | q[2k + 1] << 16}, the form of {@link PairProducts#INT16}, kept as it is when
     * {@code exactHalves}; otherwise rotated by 16 and corrected for the sign of the low half,
     * {@code q[2k + 1] + 65536 q[2k]}. The shorts are read back into the lower half of an
     * {@link Simd#I} vector, not into ints of their own shape, and stored under {@link #PAIR_LANES}
     * (see {@link Simd} on keeping one species per element type).
     *
     * <p>Gathering the even and the odd values of two vectors by two-vector selections
     * ({@code IntVector.selectFrom(v1, v2)}) needs fewer operations (0.51 against 0.61 ns a value
     * in all) but was not kept: while it was in, the first JVM of {@code CompiledKernelsTest} found
     * K-format and batch kernels in the Vector API's fallback in two full builds of three (the
     * session before, none in eight runs). Not proven the cause, but a new vector operation is a
     * new way to fill the API's shared profiles, on which the kernels depend (see {@link Simd}).
     */
    private static float quantizePairs(float[] x, int o, float amax, int[] dst, int dstAt, boolean exactHalves) {
        float id = amax > 0 ? 127f / amax : 0f;
        for (int i = 0; i < BLOCK; i += F_LANES) {
            FloatVector y = FloatVector.fromArray(F, x, o + i).mul(id).add(RINT).sub(RINT);
            IntVector q = (IntVector) y.convertShape(F2I, I, 0);
            IntVector p = (IntVector) q.convertShape(I2S, H, 0).reinterpretShape(I, 0);
            if (!exactHalves) {
                p = p.lanewise(ROL, 16);
                p = p.sub(p.and(0x8000).lanewise(LSHL, 1));
            }
            p.intoArray(dst, dstAt + i / 2, PAIR_LANES);
        }
        return amax / 127f;
    }

    /**
     * The two values of the batch layout's pair {@code p} summed: {@code q[2k] + q[2k + 1]}, from
     * either form ({@link #quantizePairs}).
     */
    private static int pairSum(int p) {
        return PairProducts.SHORTS ? (short) p + (p >> 16) : (short) p + (p - (short) p >> 16);
    }

    /**
     * Value {@code i} of vector {@code t} as quantized, {@code q[i]} in {@code [-127, 127]}, from
     * its pair in either layout and form: for tests and diagnostics, not for kernels.
     */
    int value(int t, int i) {
        int p = pairs[at(t, cols / 2) + (i / 2) * stride(t)];
        boolean exactHalves = transposed && PairProducts.SHORTS;
        int second = exactHalves ? p >> 16 : (short) p;
        int first = exactHalves ? (short) p : p - second >> 16;
        return i % 2 == 0 ? first : second;
    }

    /**
     * The sum of the eight values in the four pairs at {@code p[k]}. The sums of a block come from
     * its pairs: added, pairs are {@code S = sum(odd) + 65536 sum(even)}, and as long as
     * {@code |sum(odd)| < 2^15} one decoding ({@link #unpair}) gives the values' sum. A lane
     * reduction per vector and a decoding per pair made quantizing a vector cost 1.3 ns a value
     * (0.6 now), 0.3 ms of a Q4_K_M decode step, all on the calling thread (see
     * {@code docs/performance.md}).
     */
    private static int sum4(int[] p, int k) {
        return unpair(p[k] + p[k + 1] + p[k + 2] + p[k + 3]);
    }

    /** {@code sum(odd) + sum(even)} of a sum of pairs {@code sum(odd) + 65536 sum(even)}, {@code |sum(odd)| < 2^15}. */
    private static int unpair(int s) {
        int odd = (short) s;
        return odd + ((s - odd) >> 16);
    }
}
