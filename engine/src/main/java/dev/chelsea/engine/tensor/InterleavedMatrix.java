package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.IntStream;

import static dev.chelsea.engine.tensor.PairProducts.SHORTS;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.XOR;

/**
 * A 4-, 5- or 6-bit matrix multiplied with integer kernels on 8-bit activations
 * ({@link QuantizedActivations}), from a copy of its blocks in which {@link #G} rows are interleaved
 * so that one vector lane holds one row.
 *
 * <p><b>Why rows in lanes.</b> With the values of one row in the lanes, every block ends in a
 * horizontal sum before its scale can be applied; for 32-value blocks that costs as much as the
 * products. With one row per lane, a block of {@code G} rows is a handful of vector operations and
 * its scales are one more vector. The copy is made once, when the matrix is wrapped; the file's
 * pages are then released ({@link MemorySegment#unload}), so the memory used stays that of one copy.
 *
 * <p><b>Integer products.</b> The Vector API has no 8-bit dot product instruction, so two products
 * share one 32-bit multiply: a lane holding the weights {@code a + 65536 b} times the activations
 * {@code c + 65536 d} is {@code a c + 65536 (a d + b c)} modulo 2^32. The high half is the
 * two-term dot product, provided the low half {@code a c} stays within {@code +-2^15} and the
 * high half within {@code +-2^15} too, summed over all the products of an accumulator. Each
 * accumulator therefore starts at {@code 2^15} and is read as {@code acc >> 16} (rounding away the
 * low half) after at most as many products as keep both within range: with weights centred on zero
 * ({@code |w| <= 8, 16, 32} for 4, 5 and 6 bits) and {@code |q| <= 127}, 32, 16 and 8 values.
 * Since the arithmetic is modulo 2^32, the decode kernels may instead multiply the unsigned
 * weights and start the accumulator at minus the centre times the activations' sum
 * ({@link QuantizedActivations#blockSums}, {@link QuantizedActivations#octetSums}): the high half
 * ends as the centred sum, and the low half, a sum of half as many products of at most
 * {@code 15, 31, 63 * 127}, stays below 2^15 for the same counts. The values' bytes are stored
 * as words of four, reordered so that two byte pairs share an int lane
 * ({@link #interleavePairWords}): masks and shifts of one loaded lane give the weights of values
 * {@code 2k, 2k + 1} as {@code a + 65536 b} for two pairs {@code k} of every row. Formats are
 * interleaved field by field, one word (or fp16 pair) of row 0, one of row 1, and so on (Q6_K
 * interleaves its steps in the order the kernel reads them, so that a kernel reads one forward
 * stream: two streams 512 bytes apart halved the rate from memory; Q5_K repacks its values into
 * words of three five-bit pairs, {@link #fiveBitWord}, and so does Q5_0; Q6_K into words of two
 * six-bit pairs and part of a third, {@code Q6_KMatrix.sixBitWords}).
 *
 * <p>Decoding one vector ({@link #gemv}) multiplies such pairs by one broadcast activation pair;
 * a batch ({@link QuantizedPanelMatMul}) has each format decode pairs into a small int panel
 * ({@link #fillPanel}) that a shared kernel multiplies by many vectors at once, in this form or,
 * on processors where a 32-bit multiply costs twice a 16-bit one, as two 16-bit products per lane
 * ({@link PairProducts}); or, for the formats {@link FloatBatches} picks, turns that panel into
 * floats ({@link #fillFloatPanel}) for a float kernel ({@link InterleavedFloatMatMul}).
 */
abstract class InterleavedMatrix extends WeightMatrix {
    /** Rows per group: one per int lane. */
    static final int G = Simd.F_LANES;
    /** The accumulators' start: half of the low 16 bits, so that {@code >> 16} rounds the low half away. */
    static final int ROUND = 1 << 15;
    /**
     * How far ahead of their reads the one-vector decode kernels of Q4_0 and Q4_K touch the
     * interleaved copy ({@link #ahead}), in bytes, on Intel processors ({@link #READ_AHEAD}). Such a kernel reads its rows as one stream, and the hardware's
     * prefetchers alone did not keep a core fed from memory (Q8_0 reads four row ranges side by side
     * and streams at about 19 GB/s on the same machine). One vector times a 262144 x 2048 matrix on
     * two cores of an Intel Xeon (2026-12-06; rounds of 0.2 s with and without the touches
     * alternating in one JVM, {@code MatMulBenchmarkMain}'s weights), GB/s of weights without / with:
     * Q4_K 10.1 / 11.9, Q4_0 14.7 / 18.0, Q6_K 12.8 / 16.4. Distances of 2, 4 and 8 KiB measured
     * alike (Q4_K 13.3 / 14.0 / 14.4, Q4_0 15.9 / 16.1 / 15.7, in an earlier form). Q6_K does not
     * read ahead in spite of that: its three touches a step left C2 compiling part of
     * {@code Q6_KMatrix.gemv} into the Vector API's fallback in {@code CompiledKernelsTest}'s JVM at
     * every run (without them, in none), and in a method of its own per group and vector, which C2
     * compiled whole, they gained 2% (14.3 / 14.5). Q4_K's two-vector kernel (the largest compile)
     * does not read ahead either: with it, that test found it in the fallback in 2 of 9 runs. Left
     * out where an earlier form measured nothing or less: Q4_1, Q5_0 (-2%), Q5_K (-4%).
     */
    static final long AHEAD = 4096;
    /**
     * Whether Q4_0's and Q4_K's decode kernels read {@linkplain #ahead ahead}: on Intel processors
     * only. On an AMD EPYC (Zen 3, AVX2, 2026-12-06; the same harness, both forms alternating in one
     * JVM, medians of 7-9 rounds) the touches made Q4_K slower from memory, two cores, 262144 x 2048:
     * 23.2 / 21.3, 24.6 / 21.2 and 34.7 / 30.3 ms with / without (the machine's phase moved between
     * the runs), and in cache on one core, 8192 x 2048: 1.97 / 1.75 and 1.03 / 0.98 ms; Q4_0 from
     * memory 20.3 / 19.8. There the touch is a load whose miss holds the reorder buffer, and the
     * hardware's prefetchers already keep a single stream fed; on the Xeon they did not. On a Zen 5
     * (AVX-512, 2026-12-07, alternating JVMs, 32768 x 4096 from memory) the touches never helped:
     * Q4_K on two cores 2.97-3.34 against 1.99-2.53 ms, Q4_0 2.51-3.03 against 1.19-1.66. Zen 4 is
     * unmeasured and goes without, as Zen 3 and 5.
     */
    static final boolean READ_AHEAD = "GenuineIntel".equals(PairProducts.CPU_VENDOR);
    /** Where the decode kernels leave what they read {@linkplain #ahead ahead}, so that the JIT keeps those loads. */
    static int touchedAhead;

    /** The interleaved copy: groups of {@link #G} rows, each a sequence of interleaved blocks (in 2 MiB pages where Linux gives them: {@link HugePages}). */
    final MemorySegment packed;
    /** The last offset {@link #ahead} reads. */
    private final long lastAhead;
    final int groups;
    /** Bytes of one block of all {@link #G} rows of a group. */
    final long groupBlockBytes;
    /** Bytes of one group. */
    final long groupBytes;

    /**
     * What turns the fp16 scale {@code d} (the field at {@link #dField} of every interleaved block)
     * into its value after {@link #normalizeHalves}: the vector kernels move a half's bits into a float's
     * ({@code (h << 13) & 0x8FFFE000}) and multiply by {@link #dUnit} (as {@link #fillHalves}).
     * {@link #minUnit} does the same for the second fp16 field (at {@code 2 G}) of the formats with
     * offsets ({@link #hasOffsets}).
     */
    final float dUnit;
    final float minUnit;
    /** Whether batches run on floats ({@link FloatBatches}), read once per matrix. */
    final boolean floatBatches;

    InterleavedMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
        super(type, data, rows, cols);
        this.groups = (rows + G - 1) / G;
        this.groupBlockBytes = (long) G * packedBlockBytes();
        this.groupBytes = (rowBytes / type.bytesPerBlock) * groupBlockBytes;
        this.packed = HugePages.allocate(groups * groupBytes);
        this.lastAhead = packed.byteSize() - Integer.BYTES;
        interleave();
        if (data.isMapped()) {
            data.unload();
        }
        int e = normalizeHalves(dField());
        dUnit = Math.scalb(0x1p112f, -e);
        int m = hasOffsets() ? normalizeHalves(2 * G) : 0;
        minUnit = Math.scalb(0x1p112f, -m);
        floatBatches = FloatBatches.onFloats(type);
    }

    /**
     * Multiplies the fp16 field of {@link #G} halves at offset {@code field} of every interleaved
     * block by one power of two, {@code 2^e}, the largest that keeps every magnitude below
     * {@code 2^15}, and returns {@code e} (0 if there is nothing to gain: the largest is already
     * {@code 2^14} or more, all are zero, or one is not finite). Exact: a normal half times a power
     * of two that does not overflow is exact, and a subnormal one has at most 10 significant bits.
     *
     * <p>Why: the kernels widen halves by moving their bits into a float's and multiplying by
     * {@code 2^112} ({@link Simd}); for a subnormal half that multiplies a subnormal float, which
     * costs a microcode assist (measured on this project's AMD EPYC). Subnormal scales are the
     * rule, not the exception: {@code d} of every Q6_K block and of 99.8% of the Q5_K blocks of the
     * synthetic Llama-3.2-1B files (weights of standard deviation 0.02, as trained ones), and
     * trained weights of that size give the same. On trained-like weights
     * ({@code MatMulBenchmarkMain Q6_K,Q5_K 1 1 8192 2048}, one thread, AMD EPYC, best of four runs
     * alternating with the code before) Q6_K went from 26 to 54 GFLOP/s and Q5_K from 24 to 40; the
     * other types, whose scales are normal, did not change.
     */
    private int normalizeHalves(int field) {
        long blocksPerGroup = groupBytes / groupBlockBytes;
        // Group by group on the common pool, as the interleaving: about 10 million halves for a 1B file.
        float max = (float) IntStream.range(0, groups).parallel().mapToDouble(g -> {
            float m = 0;
            for (long b = g * blocksPerGroup; b < (g + 1) * blocksPerGroup; b++) {
                for (int r = 0; r < G; r++) {
                    float v = Math.abs(Float.float16ToFloat(packed.get(Simd.SHORT_LE, b * groupBlockBytes + field + 2L * r)));
                    m = v > m || Float.isNaN(v) ? v : m;
                }
            }
            return m;
        }).reduce(0, (a, b) -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b));
        if (!(max > 0) || Float.isInfinite(max) || Math.getExponent(max) >= 14) {
            return 0;
        }
        int e = 14 - Math.getExponent(max);
        IntStream.range(0, groups).parallel().forEach(g -> {
            for (long b = g * blocksPerGroup; b < (g + 1) * blocksPerGroup; b++) {
                for (int r = 0; r < G; r++) {
                    long at = b * groupBlockBytes + field + 2L * r;
                    packed.set(Simd.SHORT_LE, at, Float.floatToFloat16(Math.scalb(Float.float16ToFloat(packed.get(Simd.SHORT_LE, at)), e)));
                }
            }
        });
        return e;
    }

    /**
     * Rearranges one block of each of the {@link #G} rows into one interleaved block at
     * {@code dst[0 ..]}: row {@code r}'s block starts at {@code src[at + r * rowStride]} (rows past
     * the matrix are zero, which every format decodes to zero).
     */
    abstract void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst);

    /**
     * Where the {@link #G} halves of {@code d} start in an interleaved block: at its start unless a
     * format's kernel reads them after the values (called from the constructor, so a constant of
     * the format).
     */
    int dField() {
        return 0;
    }

    /**
     * Bytes of one row's block in the interleaved copy: the file's block size unless a format
     * stores a field unpacked (called from the constructor, so a constant of the format).
     */
    int packedBlockBytes() {
        return type().bytesPerBlock;
    }

    /**
     * Copies a field of each row's block ({@code length} bytes from offset {@code from} of the
     * block at {@code src[at + r * rowStride]}) as words of {@code word} (2 or 4) bytes, word by
     * word and row by row: word {@code i} of row {@code r} goes to {@code dst[to + (i G + r) word]}.
     * Returns the offset after the field.
     */
    static int interleaveField(byte[] src, int rowStride, int at, int from, int length, int word, byte[] dst, int to) {
        for (int r = 0; r < G; r++) {
            int s = at + r * rowStride + from;
            int d = to + r * word;
            for (int i = 0; i < length; i += word, d += G * word) {
                for (int b = 0; b < word; b++) {
                    dst[d + b] = src[s + i + b];
                }
            }
        }
        return to + length * G;
    }

    /**
     * Copies a field like {@link #interleaveField} with words of 4 bytes, each word's bytes
     * reordered to {@code 0, 2, 1, 3}: byte pair {@code (4i, 4i + 1)} of a row lands in the low
     * bytes of the two 16-bit halves of an int lane, pair {@code (4i + 2, 4i + 3)} in their high
     * bytes. For 4-bit values, the lane masked with {@code 0x000F000F} after a shift by 0, 4, 8 or
     * 12 gives the nibble pairs of bytes {@code (4i, 4i + 1)} low, the same high,
     * {@code (4i + 2, 4i + 3)} low and the same high, each as {@code a + 65536 b}. Four pairs from
     * one load and three shifts, where loading byte pairs took a widening shuffle (bytes
     * zero-extended to shorts) per two pairs: the Q4_0 decode kernel went from 29 to 38 GB/s on one
     * core of an AMD EPYC with its matrix in cache, from 22 to 30 from memory (medians of
     * alternating bursts in one JVM, 2026-12-05).
     */
    static int interleavePairWords(byte[] src, int rowStride, int at, int from, int length, byte[] dst, int to) {
        for (int r = 0; r < G; r++) {
            int s = at + r * rowStride + from;
            for (int i = 0; i < length / 4; i++) {
                int d = to + (i * G + r) * 4;
                dst[d] = src[s + 4 * i];
                dst[d + 1] = src[s + 4 * i + 2];
                dst[d + 2] = src[s + 4 * i + 1];
                dst[d + 3] = src[s + 4 * i + 3];
            }
        }
        return to + length * G;
    }

    /** Words that hold 32 five-bit values ({@link #fiveBitWord}). */
    static final int FIVE_BIT_WORDS = 5;

    /**
     * Word {@code m} (0 to 4) of 32 five-bit values {@code q[at ..]} (0 to 31), as Q5_K and Q5_0
     * store them: three pairs {@code (2k, 2k + 1)} per word as {@code a + 65536 b} in bits 0-4, 5-9
     * and 10-14 of the two halves (word {@code m} holds pairs {@code 3m}, {@code 3m + 1} and
     * {@code 3m + 2}), and the last pair, 15, in the five words' top bits: bit {@code m} of its
     * values in bits 15 and 31 of word {@code m}. Same bytes as the files' 160 bits per 32 values;
     * a pair costs a shift and a mask before its multiply and add (pair 15: a shift and a merge per
     * word), where nibbles and separate fifth bits cost a shift, a mask and a merge more per pair.
     */
    static int fiveBitWord(int[] q, int at, int m) {
        int w = 0;
        for (int f = 0; f < 3; f++) {
            int k = 3 * m + f;
            w |= q[at + 2 * k] << (5 * f) | q[at + 2 * k + 1] << (16 + 5 * f);
        }
        return w | ((q[at + 30] >> m) & 1) << 15 | ((q[at + 31] >> m) & 1) << 31;
    }

    /**
     * Bit 15 of both halves of a pair. With {@link PairProducts#INT16} the batch panel holds pairs
     * as two exact 16-bit halves rather than {@code a + 65536 b}, and the decoders below centre
     * their unsigned pairs in that form at once: each half biased by {@code 2^15} cannot borrow
     * from the other when the centre is subtracted, and flipping bit 15 of each half removes the
     * bias, leaving {@code (a - c) mod 2^16}. This replaced a pass rewriting the whole panel after
     * each decode (one core, 2048 x 2048, alternating JVMs, GFLOP/s, pass / here: Q4_0 with 16
     * vectors 90.3-98.4 / 95.8-104.4, with 64 115.2-120.0 / 112.5-131.6, Q5_K with 16 76.9-80.2 /
     * 76.4-83.9, Q6_K unchanged at 70.7-78.7; Intel Xeon, 2026-12-06).
     */
    static final int FLIP = 0x80008000;

    /**
     * Decodes the five words of 32 five-bit values ({@link #fiveBitWord}) at {@code at} for the batch
     * panel ({@link #fillPanel}): centred to {@code q - 16}, pairs {@code k} to {@code k + 15}.
     */
    final void fillFiveBitWords(long at, int[] w, int k) {
        int o = k * G;
        IntVector last = IntVector.zero(Simd.I);
        IntVector p;
        for (int m = 0; m < FIVE_BIT_WORDS; m++, o += 3 * G) {
            IntVector v = IntVector.fromMemorySegment(Simd.I, packed, at + 4L * G * m, Simd.LE);
            p = v.and(0x001F001F);
            (SHORTS ? p.add(FLIP - 0x00100010).lanewise(XOR, FLIP) : p.sub(0x00100010)).intoArray(w, o);
            p = v.lanewise(LSHR, 5).and(0x001F001F);
            (SHORTS ? p.add(FLIP - 0x00100010).lanewise(XOR, FLIP) : p.sub(0x00100010)).intoArray(w, o + G);
            p = v.lanewise(LSHR, 10).and(0x001F001F);
            (SHORTS ? p.add(FLIP - 0x00100010).lanewise(XOR, FLIP) : p.sub(0x00100010)).intoArray(w, o + 2 * G);
            last = last.lanewise(LSHR, 1).or(v.and(0x80008000));
        }
        p = last.lanewise(LSHR, 11).and(0x001F001F);
        (SHORTS ? p.add(FLIP - 0x00100010).lanewise(XOR, FLIP) : p.sub(0x00100010)).intoArray(w, o);
    }

    /**
     * Decodes one word of 4-bit values ({@link #interleavePairWords}) at {@code at} for the batch
     * panel ({@link #fillPanel}): centred to {@code q - 8}, its low nibbles are pairs {@code k} and
     * {@code k + 1}, its high nibbles pairs {@code k + hi} and {@code k + hi + 1}.
     */
    final void fillNibbleWord(long at, int[] w, int k, int hi) {
        IntVector v = IntVector.fromMemorySegment(Simd.I, packed, at, Simd.LE);
        IntVector p = v.and(0x000F000F);
        (SHORTS ? p.add(FLIP - 0x00080008).lanewise(XOR, FLIP) : p.sub(0x00080008)).intoArray(w, k * G);
        p = v.lanewise(LSHR, 8).and(0x000F000F);
        (SHORTS ? p.add(FLIP - 0x00080008).lanewise(XOR, FLIP) : p.sub(0x00080008)).intoArray(w, (k + 1) * G);
        p = v.lanewise(LSHR, 4).and(0x000F000F);
        (SHORTS ? p.add(FLIP - 0x00080008).lanewise(XOR, FLIP) : p.sub(0x00080008)).intoArray(w, (k + hi) * G);
        p = v.lanewise(LSHR, 12).and(0x000F000F);
        (SHORTS ? p.add(FLIP - 0x00080008).lanewise(XOR, FLIP) : p.sub(0x00080008)).intoArray(w, (k + hi + 1) * G);
    }

    /**
     * The {@link #G} fp16 halves of a group at {@code at} (one per row, after
     * {@link #normalizeHalves}) as floats times {@code unit} ({@link #dUnit} or {@link #minUnit})
     * into {@code dst[dstAt ..]}, in one vector: the batch panel's block scales
     * ({@link #fillPanel}). Row by row through {@link Float#float16ToFloat} they cost Q4_0's product
     * of 16 vectors 5-8% (one core, 2048 x 2048: 81.6 against 85.4-88.7 GFLOP/s, Intel Xeon,
     * 2026-12-06); the same results to the bit, both scalings being exact powers of two.
     */
    final void fillHalves(long at, float unit, float[] dst, int dstAt) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(Simd.H, packed, at, Simd.LE).convertShape(S2I, Simd.I, 0);
        ((FloatVector) bits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(Simd.F, 0)).mul(unit).intoArray(dst, dstAt);
    }

    /** Per thread: {@link #kernelSums}. */
    private static final ThreadLocal<int[][]> KERNEL_SUMS = ThreadLocal.withInitial(() -> new int[][] {new int[0]});

    /**
     * A per-thread buffer of at least {@code ints} ints, in which a K format's decode kernel leaves
     * the integer sums of each super-block of one group for a method of its own to scale in floats:
     * kept out of the loop over the words, that float part no longer fell into the Vector API's
     * fallback (see {@code Q4_KMatrix.scaleSuperBlocks}). Not for blocks of 32: Q5_0's kernel, its
     * block sums stored so, ran 1.39 against 1.09 ms (8192 x 2048, one core, one JVM alternating).
     */
    static int[] kernelSums(int ints) {
        int[][] held = KERNEL_SUMS.get();
        if (held[0].length < ints) {
            held[0] = new int[ints];
        }
        return held[0];
    }

    /** Per thread: {@link #kernelSumsAsFloats}. */
    private static final ThreadLocal<float[][]> KERNEL_FLOAT_SUMS = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /**
     * As {@link #kernelSums}, but a float array, into which a kernel stores its int sums with their
     * bits unchanged ({@code reinterpretShape(F, 0)}). C2 keeps each array type's memory
     * apart, so no int array store is then in the loop that reads the activation pairs (an int
     * array too); with one there, C2 moved each pair into a general register and from there into
     * a vector (three instructions) rather than broadcasting it from memory (one). Q6_K's decode
     * loop went from 236 to 211 instructions (18 of the 20 values it broadcasts an iteration, 16
     * pairs and 4 {@link QuantizedActivations#octetStarts}, from memory, where 4 were), and one
     * vector times 512 x 2048 weights on one core (in cache) from 0.066 to 0.056 ms, 1024 x 8192
     * from 0.487 to 0.417 ms, times 128256 x 2048 on two cores from 13.2 to 12.9 ms (both forms
     * alternating in one JVM, medians of 9-11 rounds, AMD EPYC Zen 3, AVX2, 2026-12-07). Q4_K's
     * loop, whose pairs C2 already broadcast from memory, did not gain (0.067 against 0.066 ms) and
     * keeps {@link #kernelSums}.
     */
    static float[] kernelSumsAsFloats(int floats) {
        float[][] held = KERNEL_FLOAT_SUMS.get();
        if (held[0].length < floats) {
            held[0] = new float[floats];
        }
        return held[0];
    }

    /**
     * {@code index} unchanged (it is never negative), in a form C2 does not see as linear in the
     * loop's counter: a decode kernel advances its offset into the activation pairs with this, so
     * that C2 keeps one range check for the pairs in the loop instead of moving the checks before
     * it. Checked before it, the pairs' loads were left outside the instructions that use them:
     * each pair took a load into a general register, a move into a vector register and a broadcast
     * where one broadcast from memory does (C2's loops: Q5_0 172 instructions a block with 12 pairs
     * so, 156 with 2; Q5_K 252 a sub-block with 18, 234 with 7). One vector times 512 x 2048
     * weights on one core (in cache), both forms alternating in one JVM, medians of 11 rounds (AMD
     * EPYC Zen 3, AVX2, 2026-12-07): Q5_0 0.072-0.074 -> 0.065-0.066 ms, Q5_K 0.075-0.092 ->
     * 0.069-0.074 ms. Q4_0's, Q4_K's and Q6_K's offsets jump at each block's or chunk's end and
     * were never linear.
     */
    static int unhoisted(int index) {
        return index & Integer.MAX_VALUE;
    }

    static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * The int {@link #AHEAD} bytes after {@code at} (or the copy's last): a decode kernel reads it
     * once a step, so that the lines it reads were loaded that much earlier. Q4_0's and Q4_K's steps
     * read two words, {@code 8 G} bytes: one cache line at 8 lanes, two at 16, where the touches
     * above were measured with one per line (the adjacent line's prefetch should cover the other;
     * not yet measured on an AVX-512 machine). Neither touches its block headers: with those
     * touches in the branch at a super-block's end C2 compiled Q4_K's loop a fifth slower, and a
     * loop over a piece's lines in this method did the same; in Q4_0's two-word loop that touch
     * was a call C2 left out of line (its node budget spent), which kept the segment's checks in
     * every load. The offset is clamped rather than the copy padded past its end:
     * unclamped, Q6_K read 14.1 GB/s, clamped 16.4 (same JVM, the matrix above).
     */
    final int ahead(long at) {
        return packed.get(Simd.INT_LE, Math.min(at + AHEAD, lastAhead));
    }

    /**
     * Fills {@link #packed}, groups in parallel (on the common pool: this runs once, when a model
     * is loaded). The time goes mostly to the first writes to the fresh memory: 2.6 s for the
     * 700 MB of a Llama-3.2-1B Q4_0 file on one core of this project's VM, whose page faults are
     * slow; the shuffling itself is a fraction of that.
     */
    private void interleave() {
        int bpb = type().bytesPerBlock;
        int packedBpb = packedBlockBytes();
        int blocksPerRow = (int) (rowBytes / bpb);
        // A few kilobytes of each row at a time: bulk copies in and out, the shuffling in arrays.
        int chunk = Math.max(1, Math.min(blocksPerRow, 4096 / bpb));
        IntStream.range(0, groups).parallel().forEach(g -> {
            byte[] rowsIn = new byte[G * chunk * bpb];
            byte[] out = new byte[G * chunk * packedBpb];
            byte[] dst = new byte[G * packedBpb];
            for (int b0 = 0; b0 < blocksPerRow; b0 += chunk) {
                int n = Math.min(chunk, blocksPerRow - b0);
                for (int r = 0; r < G; r++) {
                    int row = g * G + r;
                    if (row < rows) {
                        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, row * rowBytes + (long) b0 * bpb, rowsIn, r * n * bpb, n * bpb);
                    } else {
                        Arrays.fill(rowsIn, r * n * bpb, (r + 1) * n * bpb, (byte) 0);
                    }
                }
                for (int b = 0; b < n; b++) {
                    interleaveBlock(rowsIn, n * bpb, b * bpb, dst);
                    System.arraycopy(dst, 0, out, b * G * packedBpb, G * packedBpb);
                }
                MemorySegment.copy(out, 0, packed, ValueLayout.JAVA_BYTE, g * groupBytes + b0 * groupBlockBytes, n * G * packedBpb);
            }
        });
    }

    /**
     * {@code out[outOffset + t * outStride + r] = W[r] . vector t} for the rows {@code r} in
     * {@code [r0, r1)} and the vectors of {@code a} (by-vector layout). Group by group, and each
     * group for every vector while its rows are in cache. The loops over groups and vectors are
     * in each format's own method: with the group loop outside, C2 inlined the kernel into it and
     * then reloaded its constant vectors from memory on every step (half the speed, measured).
     */
    abstract void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1);

    /**
     * Decodes pairs {@code [pair0, pair0 + pairs)} of the rows of group {@code group} for the batch
     * kernel: the weight pair {@code k} of row {@code r} (values {@code 2k, 2k + 1}, centred and
     * packed as {@code w[2k] + 65536 w[2k + 1]}) into {@code w[(k - pair0) G + r]}; for each unit
     * {@code u} of {@link #unitPairs} pairs, the factor of the unit's integer sum into
     * {@code scale[u G + r]} and, if {@link #hasOffsets}, the factor of the activations' sum
     * ({@link QuantizedActivations#sums}) into {@code offset[u G + r]}. {@code pair0} and
     * {@code pairs} are multiples of the block's pairs.
     */
    abstract void fillPanel(int group, int pair0, int pairs, int[] w, float[] scale, float[] offset);

    /**
     * The same pairs as floats, for {@link InterleavedFloatMatMul}: value {@code 2 (k - pair0) + h}
     * ({@code h} 0 or 1, the pair's low or high half) of row {@code r} into
     * {@code dst[(2 (k - pair0) + h) G + r]}, as {@code scale * centred + offset} of its unit.
     * {@link #fillPanel} decodes into {@code w}, {@code scale} and {@code offset} first (so each
     * format has one decoder), then one pass turns a lane's two halves into two floats: a few vector
     * operations per {@code 2 G} values, each then used by every vector of the batch.
     */
    final void fillFloatPanel(int group, int pair0, int pairs, int[] w, float[] scale, float[] offset, float[] dst) {
        fillPanel(group, pair0, pairs, w, scale, offset);
        int unit = unitPairs();
        boolean offsets = hasOffsets();
        // A 32-bit pair a + 65536 b: b is (lane + 2^15) >> 16, the low half a being within +-2^15;
        // 16-bit halves (SHORTS) hold b exactly in the top half.
        IntVector carry = IntVector.broadcast(Simd.I, SHORTS ? 0 : 1 << 15);
        FloatVector none = FloatVector.zero(Simd.F);
        for (int k = 0; k < pairs; k++) {
            int u = k / unit * G;
            IntVector v = IntVector.fromArray(Simd.I, w, k * G);
            FloatVector s = FloatVector.fromArray(Simd.F, scale, u);
            FloatVector m = offsets ? FloatVector.fromArray(Simd.F, offset, u) : none;
            FloatVector lo = (FloatVector) v.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, Simd.F, 0);
            FloatVector hi = (FloatVector) v.add(carry).lanewise(ASHR, 16).convertShape(I2F, Simd.F, 0);
            lo.fma(s, m).intoArray(dst, 2 * k * G);
            hi.fma(s, m).intoArray(dst, (2 * k + 1) * G);
        }
    }

    /**
     * Measured per type (2026-12-05, AMD EPYC, 2 threads, 16 lanes). One product alone (8192 x 2048
     * matrices cycled beyond the caches, both layouts alternating): {@link #gemv} costs about 0.15
     * ms per vector for Q4_0, the batch kernel 2.5-3 ms for any count up to a tile of 16, and
     * {@link #gemv} was faster below 14 vectors for Q4_0, 12 for Q4_1 and Q4_K, 11 for Q5_0, 9 for
     * Q5_K and 16 for Q6_K. Whole Llama-3.2-1B prefills (every matrix in one layout, then the other,
     * alternating in one JVM, medians of 7) put the points higher, since the model's smaller
     * matrices pay the batch kernel's per-call costs too, and the second tile makes 17 vectors cost
     * more than 16: Q4_0 between 12 and 16 tokens, Q4_K_M (Q4_K and Q6_K) about 20, Q5_K_M (Q5_K and
     * Q6_K) 12. The types take values between the two: Q4_0 and Q6_K 16, Q4_1 14, Q5_0 12, Q5_K
     * 10. A 5-token prompt on the Q4_K_M model went from 207 to 67 ms. Q4_K's point then moved to
     * 28 with its two-vector kernel ({@code Q4_KMatrix.gemvTwo}): Q4_K_M prefills with Q4_K in
     * one layout or the other, alternating, medians of 7, ms: 12 tokens 147-155 against 202-213,
     * 20 tokens 235-276 against 320, 24 tokens 274-288 against 325-331, 28 tokens 320 against 332.
     * Q4_0's point is 6 where it has a few-vector batch kernel ({@code Q4_0Matrix.TILE_GEMV}).
     */
    @Override
    public abstract int batchFrom();

    /**
     * {@link #batchFrom} for a format whose batches run on floats ({@link #floatBatches}): 11 at 8
     * lanes. Up to a tile of {@code L} vectors the float kernel keeps 4 accumulators, too few for
     * the FMAs' latency, and costs about what 16 vectors do; one vector at a time costs in
     * proportion. One core, 2048 x 2048, by vector against the float batch, ms (AMD EPYC Zen 3,
     * 2026-12-07, two runs): Q6_K 8 vectors 1.63 / 2.13 and 2.74 / 2.76, 10 2.15 / 2.50 and 2.88
     * / 2.83, 12 2.88 / 2.46 and 4.29 / 3.88; Q5_K 8 2.39 / 2.57 and 2.28 / 2.80, 10 4.00 / 3.77
     * and 2.73 / 2.79, 12 4.29 / 2.84 and 5.12 / 3.96. With 16 lanes (AVX-512) 26: there the float
     * kernel costs the same for 1 to 16 vectors (1.33-1.42 ms, Q6_K) and for 17 to 32 (1.90-2.14),
     * and one vector at a time about 0.075 ms a vector, so by vector wins up to the middle of the
     * second tile. One core, 2048 x 2048, by vector against the float batch, ms, three alternating
     * JVMs (AMD EPYC Zen 5, 2026-12-07): Q6_K 22 vectors 1.58-1.71 / 1.95-2.06, 24 1.73-1.86 /
     * 1.95-2.07, 28 2.04-2.13 / 1.98-2.14, 32 2.31-2.53 / 1.98-2.14; Q5_K 22 1.83-1.85 / 1.88-2.03,
     * 24 2.02-2.03 / 1.91-2.02, 28 2.31-2.36 / 1.92-2.03.
     */
    static int floatBatchFrom() {
        return Simd.F_LANES >= 16 ? 26 : batchFromLanes(22);
    }

    /**
     * Pairs summed in one accumulator of the batch kernel: 16, 8 or 4 for 4-, 5- and 6-bit weights
     * with {@link PairProducts#INT32}, 16, 16 and 8 with {@link PairProducts#INT16}
     * ({@link PairProducts#unitPairs}); {@link #fillPanel} writes a scale per unit.
     */
    abstract int unitPairs();

    /**
     * Multiplies a batch of one tile of at most {@code 2 G} lanes (batch layout) by a kernel of the
     * format's own, if it has one for that count, and says whether it did; otherwise the panel
     * kernel takes it.
     */
    boolean multiplyOneTile(QuantizedActivations a, float[] out, int outOff, int outStride, int r0, int r1) {
        return false;
    }

    /** Whether the values carry an offset, applied to the sums of the activations. */
    abstract boolean hasOffsets();

    @Override
    public void matMul(float[] x, int n, float[] out, int outStride, int r0, int r1) {
        if (!integerKernels(n)) {
            // A batch on floats: packed and multiplied as every float batch is (multiplyPacked).
            super.matMul(x, n, out, outStride, r0, r1);
            return;
        }
        checkMatMul(x, n, out, outStride, r0, r1);
        QuantizedActivations a = OWN_ACTIVATIONS.get();
        for (int b0 = 0; b0 < n; b0 += QuantizedActivations.MAX_VECTORS) {
            int count = Math.min(QuantizedActivations.MAX_VECTORS, n - b0);
            float[] part = b0 == 0 && count == n ? x : java.util.Arrays.copyOfRange(x, b0 * cols, (b0 + count) * cols);
            a.reset(count, cols, count >= batchFrom(), superBlockActivations());
            a.quantize(part);
            multiply(a, out, b0 * outStride, outStride, r0, r1);
        }
    }

    @Override
    public void matMul(QuantizedActivations a, float[] out, int outStride, int r0, int r1) {
        checkActivations(a.cols(), a.count(), out, outStride, r0, r1);
        multiply(a, out, 0, outStride, r0, r1);
    }

    /** Every count on 8-bit activations, except batches of the formats {@link FloatBatches} puts on floats. */
    @Override
    public final boolean integerKernels(int n) {
        return !floatBatches || n < batchFrom();
    }

    /** A batch on floats from the interleaved copy ({@link InterleavedFloatMatMul}), for the formats {@link FloatBatches} puts there. */
    @Override
    void multiplyPacked(PackedActivations a, float[] out, int outOff, int outStride, int r0, int r1) {
        InterleavedFloatMatMul.multiply(this, a, out, outOff, outStride, r0, r1);
    }

    private void multiply(QuantizedActivations a, float[] out, int outOff, int outStride, int r0, int r1) {
        if (a.superBlocks != superBlockActivations()) {
            throw new IllegalArgumentException(type() + " takes activations with one scale per "
                    + (superBlockActivations() ? "256" : "32") + " values, not per " + (a.superBlocks ? "256" : "32"));
        }
        if (a.transposed) {
            if (a.width <= 2 * G && multiplyOneTile(a, out, outOff, outStride, r0, r1)) {
                return;
            }
            QuantizedPanelMatMul.multiply(this, a, out, outOff, outStride, r0, r1);
            return;
        }
        gemv(a, out, outOff, outStride, r0, r1);
    }
}
