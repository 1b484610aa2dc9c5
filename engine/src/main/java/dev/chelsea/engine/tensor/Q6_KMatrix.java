package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.PairProducts.SHORTS;
import static dev.chelsea.engine.tensor.Simd.B;
import static dev.chelsea.engine.tensor.Simd.BYTE_PARTS;
import static dev.chelsea.engine.tensor.Simd.B_LANES;
import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.H;
import static dev.chelsea.engine.tensor.Simd.I;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.AND;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.OR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.XOR;

/**
 * Q6_K: super-blocks of 256 values,
 * {@code block_q6_K { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; fp16 d; }}, in two halves of 128.
 * In a half, for {@code l < 32} and {@code t} in 0, 1: value {@code l + 32t} takes the low nibble of
 * {@code ql[l + 32t]} and value {@code l + 64 + 32t} its high nibble; their top two bits are bits
 * {@code 2t..2t+1} and {@code 2t+4..2t+5} of {@code qh[l]}. Each 16 values share an int8 scale;
 * value = d * scale * (q - 32).
 *
 * <p>The loop over {@code t} is kept as a loop (not written out twice) so that the loop body stays
 * under C2's inlining node budget; past it, helper calls stop being inlined and vectors get boxed.
 */
final class Q6_KMatrix extends InterleavedMatrix {
    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    Q6_KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q6_K, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block + D));
            for (int h = 0; h < 2; h++) {
                long sc = block + SCALES + 8 * h;
                for (int l = 0; l < 32; l += B_LANES) {
                    // Shifts on byte lanes (not int lanes: see Simd on keeping one species per element type).
                    ByteVector qh = ByteVector.fromMemorySegment(B, data, block + QH + 32 * h + l, LE);
                    // B_LANES <= 16, so one load never straddles two scales.
                    int is = l / 16;
                    for (int t = 0; t < 2; t++, qh = qh.lanewise(LSHR, 2)) {
                        ByteVector ql = ByteVector.fromMemorySegment(B, data, block + 64 * h + 32 * t + l, LE);
                        ByteVector lo = ql.and((byte) 0x0F)
                                .or(qh.lanewise(LSHL, 4).and((byte) 0x30)).sub((byte) 32);
                        ByteVector hi = ql.lanewise(LSHR, 4)
                                .or(qh.and((byte) 0x30)).sub((byte) 32);
                        FloatVector sLo = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 2 * t));
                        FloatVector sHi = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 4 + 2 * t));
                        int k = xOffset + i + 128 * h + 32 * t + l;
                        for (int p = 0; p < BYTE_PARTS; p++) {
                            FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                            acc0 = wLo.mul(sLo).fma(FloatVector.fromArray(F, x, k + p * F_LANES), acc0);
                            FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                            acc1 = wHi.mul(sHi).fma(FloatVector.fromArray(F, x, k + 64 + p * F_LANES), acc1);
                        }
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(ADD);
    }

    /**
     * {@code d}, then four pieces in the order the kernels read them, each a word of scales and
     * four steps (step {@code 8h + w}: values {@code 128h + 32i + 4w} to {@code + 3} of the four
     * streams {@code i}), each step three words of six-bit pairs ({@link #sixBitWords}). Piece
     * {@code k}'s steps {@code 4k} to {@code 4k + 3} belong to one sub-block of each stream, whose
     * int8 scales the word holds, stream {@code i}'s in byte {@code i} ({@link #scaleWord}), so
     * that {@link #gemv} reads one forward stream. With the file's 16 scale bytes at the
     * super-block's start, where the kernel went back for them every two steps, one vector times a
     * matrix from memory on two cores took 1.13-1.52x as long (65536 x 2048: 2.72 against 1.79 ms,
     * and 1.18-1.20x in two more runs; 128256 x 2048 1.12x; 2048 x 8192 1.13x; AMD EPYC Zen 5,
     * 2026-12-07, both layouts in one JVM, rounds in turn): see {@code Q5_KMatrix.interleaveBlock}.
     * Stored field by field, a step read three streams 512 bytes apart,
     * each only 8 cache lines long before it jumped: the prefetchers never got ahead, and the output
     * matrix of a Llama-3.2-1B Q4_K_M file (128256 x 2048, Q6_K) streamed at 10.5 GB/s on two cores
     * where Q4_0 streams at 24.7 ({@code MatMulBenchmarkMain Q4_0,Q6_K 2 1 128256 2048}).
     */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        interleaveField(src, rowStride, at, D, 2, 2, dst, 0);
        int[] q = new int[BLOCK];
        for (int r = 0; r < G; r++) {
            for (int k = 0; k < 4; k++) {
                int b = at + r * rowStride + SCALES + 8 * (k >> 1) + (k & 1);
                int word = src[b] & 0xFF | (src[b + 2] & 0xFF) << 8 | (src[b + 4] & 0xFF) << 16 | src[b + 6] << 24;
                INTS.set(dst, scaleWord(k) + 4 * r, word);
            }
            sixBitValues(src, at + r * rowStride, q);
            for (int step = 0; step < 16; step++) {
                sixBitWords(q, step, dst, stepAt(step) + 4 * r);
            }
        }
    }

    /** The 256 values (0 to 63) of the block at {@code src[block ..]} into {@code q} (the file's layout: see the class comment). */
    private static void sixBitValues(byte[] src, int block, int[] q) {
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int ql0 = src[block + 64 * h + l] & 0xFF;
                int ql1 = src[block + 64 * h + 32 + l] & 0xFF;
                int qh = src[block + QH + 32 * h + l];
                q[128 * h + l] = ql0 & 15 | (qh & 3) << 4;
                q[128 * h + 32 + l] = ql1 & 15 | (qh >> 2 & 3) << 4;
                q[128 * h + 64 + l] = ql0 >> 4 | (qh >> 4 & 3) << 4;
                q[128 * h + 96 + l] = ql1 >> 4 | (qh >> 6 & 3) << 4;
            }
        }
    }

    /**
     * Step {@code step} of one row's values {@code q} as three words, at {@code dst[to]},
     * {@code dst[to + 4 G]} and {@code dst[to + 8 G]} (one row's lane of each).
     * The step's eight pairs {@code P(i, m)}, values {@code 128h + 32i + 4w + 2m} and {@code + 1}
     * (0 to 63) as {@code a + 65536 b}, fill the halves of the words: bits 0-5 and 6-11 of the first
     * word hold {@code P(0, 0)} and {@code P(0, 1)}, of the second {@code P(1, *)}, of the third
     * {@code P(2, *)}; {@code P(3, 0)}'s low four bits sit in bits 12-15 of the first word,
     * {@code P(3, 1)}'s in those of the second, and their top two bits in bits 12-13 and 14-15 of
     * the third. Six pairs are then a mask or a shift and a mask each, the last two five
     * operations: 19 for eight pairs, where the file's layout (low nibbles and top bits in separate
     * bytes, as llama.cpp keeps them) took 38: per pair a mask of the nibbles, a shift and a mask of
     * the top bits, an or, and often a shift of the nibbles. Same 96 bits per row and step as the
     * file's.
     */
    private static void sixBitWords(int[] q, int step, byte[] dst, int to) {
        int at = 128 * (step >> 3) + 4 * (step & 7);
        int w0 = 0;
        int w1 = 0;
        int w2 = 0;
        for (int half = 0; half < 2; half++, at++) {
            int p30 = q[at + 96];
            int p31 = q[at + 98];
            w0 |= (q[at] | q[at + 2] << 6 | (p30 & 15) << 12) << 16 * half;
            w1 |= (q[at + 32] | q[at + 34] << 6 | (p31 & 15) << 12) << 16 * half;
            w2 |= (q[at + 64] | q[at + 66] << 6 | (p30 >> 4) << 12 | (p31 >> 4) << 14) << 16 * half;
        }
        INTS.set(dst, to, w0);
        INTS.set(dst, to + 4 * G, w1);
        INTS.set(dst, to + 8 * G, w2);
    }

    /** Bytes of a step of {@link #G} rows, and of a piece (a scale word and four steps). */
    private static final int STEP = 12 * G;
    private static final int PIECE = 4 * G + 4 * STEP;

    /** Where piece {@code k}'s scale word starts in an interleaved super-block. */
    private static int scaleWord(int k) {
        return 2 * G + PIECE * k;
    }

    /** Where step {@code step} starts in an interleaved super-block. */
    private static int stepAt(int step) {
        return scaleWord(step >> 2) + 4 * G + STEP * (step & 3);
    }

    /** {@link #gemv}'s masks of the low nibbles, of the top two bits and of six bits (its comment says why in an array). */
    private static final int[] MASKS = {0x000F000F, 0x00300030, 0x003F003F};

    /**
     * Step {@code w} of half {@code h} reads three words ({@link #sixBitWords}): eight pairs of 6-bit
     * values, pairs {@code 2w} and {@code 2w + 1} of streams {@code i = 0..3} (values
     * {@code 128h + 32i + 4w} to {@code + 3}), each pair a mask (and a shift) of one word, or for
     * stream 3 its low bits from one word and its top two from the third. Against the file's bytes
     * reordered (low nibbles, top bits shifted into place from a word of them, 38 operations for the
     * eight pairs against 19), both forms alternating in one JVM, medians of 11 rounds (AMD EPYC Zen
     * 3, AVX2, 2026-12-06): one vector times 8192 x 2048 on one core 1.67 -> 1.26 ms, times
     * 2048 x 8192 1.34 -> 1.08 ms, times 131072 x 2048 on two cores 11.7 -> 10.4 ms (18.8 -> 21.1
     * GB/s), times 128256 x 2048 12.2 -> 11.4 ms; identical products.
     * With 6-bit weights an accumulator holds 8 values, so each stream is read out every two
     * steps: its sum over those 8 values times their int8 scale (sub-block {@code 8h + 2i + w / 4})
     * is added to one int sum per super-block (at most {@code 16 * 16 * 32 * 127 * 128}, below 2^28),
     * which is converted and scaled by {@code d} and the activations' scale once, at the
     * super-block's end: the activations carry one scale per super-block
     * ({@link QuantizedActivations#superBlocks}, llama.cpp's Q8_K). With a scale per block of 32,
     * each pair of sub-blocks was converted and scaled on its own: one vector times a 2048 x 2048
     * matrix of trained-like weights took 0.158 ms on one core, 0.149 ms now
     * ({@code MatMulBenchmarkMain Q6_K 1 1 2048 2048}, alternating JVMs, AMD EPYC Zen 4, 2026-12-05;
     * on the uniformly random matrices of the tests, 192-193 against 158-162 us).
     * The weights are not centred: each accumulator starts at minus 32 times the sum of its 8
     * activations ({@link QuantizedActivations#octetStarts}, computed when they are quantized), so
     * that its high half ends as {@code sum (q - 32) x} (as in {@link Q4_0Matrix#gemv}; the low
     * half sums 4 products of at most {@code 63 * 127}, below 2^15). Each window of 8 values is
     * scaled on its own (two int multiplies per sub-block): keeping the first window's four sums as
     * vectors until the second was read, so as to scale each sub-block once, held four more vectors
     * across the loop, and C2, out of AVX2's 16 registers, spilled them and loaded the two masks
     * from memory at every use; without them (AMD EPYC Zen 3, 2026-12-06, both forms alternating in
     * one JVM, medians of 11-15 rounds) one vector times 131072 x 2048 on two cores took 11.6-12.5
     * against 14.2-14.5 ms, in cache on one core within the noise (1.31-1.45 against 1.37-1.56 ms).
     * Words instead of byte pairs (no widening shuffles) and no centring made this kernel 17%
     * faster on one core with its matrix in cache, 3-6% from memory; scaling once per sub-block
     * another 11% and 3-5% (alternating bursts in one JVM, AMD EPYC, 2026-12-05). The constant
     * masks are vectors made once, and the scale statements multiply ints: fewer operations for C2
     * to parse (see {@link Simd}; 68,000 nodes before).
     *
     * <p>Two steps an iteration, so that each iteration ends in one read-out, and the super-blocks'
     * int sums (kept in a float array, bits unchanged: {@link #kernelSumsAsFloats}) are scaled in
     * floats after the loop ({@link #scaleSuperBlocks}). Against one step an iteration with the
     * floats in the loop (AMD EPYC Zen 3, AVX2, both forms alternating in one JVM, medians of 11-15
     * rounds, 2026-12-06): one vector times 131072 x 2048 on two cores 14.8 -> 12.4 ms (14.9 ->
     * 17.7 GB/s), times 8192 x 2048 in cache on one core 1.69 -> 1.60 ms (the same two steps with
     * the floats in the loop: 1.46 ms in cache but 13.8 ms from memory).
     */
    @Override
    void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        float[] superSums = kernelSumsAsFloats(G * (cols / BLOCK));
        // The masks' values read from an array, so that C2 broadcasts them once and holds them in
        // registers: as constants it rematerialized a broadcast from the constant table next to
        // each use, 20 of the loop's 205 instructions on AVX-512 (loads, in a loop whose loads
        // bound it; 186 without). One core, 8192 x 2048 in cache, 0.30-0.32 against 0.36-0.40 ms
        // (AMD EPYC Zen 5, alternating JVMs, six pairs, 2026-12-07); from memory on two cores
        // 65536 x 4096 5.3-6.9 against 7.5-8.3 ms (eight pairs), 128256 x 2048 4.3-6.3 against
        // 7.0-8.0 (six pairs), though whole Q4_K_M decode steps did not show it (docs/performance.md,
        // twentieth session). Tried for Q4_K's gemvOne's one mask, this made C2 spill the value
        // and broadcast it from the stack at each use instead (also a load), so that one stays a
        // constant.
        IntVector low = IntVector.broadcast(I, MASKS[0]);
        IntVector high = IntVector.broadcast(I, MASKS[1]);
        IntVector six = IntVector.broadcast(I, MASKS[2]);
        IntVector zero = IntVector.zero(I);
        for (int g = r0 / G; g * G < r1; g++) {
            for (int t = 0; t < a.count; t++) {
                long o = g * groupBytes;
                int[] xp = a.pairs;
                int xk = t * (cols / 2);
                int xb = t * (cols / 32);
                IntVector sum = zero;
                int[] starts = a.octetStarts;
                int n8 = xk >> 2;
                IntVector s0 = IntVector.broadcast(I, starts[n8]);
                IntVector s1 = IntVector.broadcast(I, starts[n8 + 4]);
                IntVector s2 = IntVector.broadcast(I, starts[n8 + 8]);
                IntVector s3 = IntVector.broadcast(I, starts[n8 + 12]);
                // Offsets advance by additions (as in Q4_0Matrix.gemv): computed from k they cost as
                // many scalar instructions as the vector work.
                long q = o + stepAt(0);
                int x = xk;
                IntVector scales = zero;
                for (int j = 0, pairs = cols / 32; j < pairs; j++, q += 2 * STEP, x += 4) {
                    if ((j & 1) == 0) {
                        // The piece's scale word, before its steps (in the order of the copy).
                        scales = IntVector.fromMemorySegment(I, packed, q - 4 * G, LE);
                    }
                    IntVector qa, qb, u;
                    qa = IntVector.fromMemorySegment(I, packed, q, LE);
                    qb = IntVector.fromMemorySegment(I, packed, q + 4 * G, LE);
                    u = IntVector.fromMemorySegment(I, packed, q + 8 * G, LE);
                    s0 = qa.lanewise(AND, six).mul(xp[x]).add(s0);
                    s0 = qa.lanewise(LSHR, 6).lanewise(AND, six).mul(xp[x + 1]).add(s0);
                    s1 = qb.lanewise(AND, six).mul(xp[x + 16]).add(s1);
                    s1 = qb.lanewise(LSHR, 6).lanewise(AND, six).mul(xp[x + 17]).add(s1);
                    s2 = u.lanewise(AND, six).mul(xp[x + 32]).add(s2);
                    s2 = u.lanewise(LSHR, 6).lanewise(AND, six).mul(xp[x + 33]).add(s2);
                    s3 = qa.lanewise(LSHR, 12).lanewise(AND, low).lanewise(OR, u.lanewise(LSHR, 8).lanewise(AND, high)).mul(xp[x + 48]).add(s3);
                    s3 = qb.lanewise(LSHR, 12).lanewise(AND, low).lanewise(OR, u.lanewise(LSHR, 10).lanewise(AND, high)).mul(xp[x + 49]).add(s3);
                    // The second step written out: as an inner loop, Q4_K's same change (four words
                    // a step) ran 1.32 against 0.89 ms for two words written out (one JVM, 2026-12-06).
                    qa = IntVector.fromMemorySegment(I, packed, q + STEP, LE);
                    qb = IntVector.fromMemorySegment(I, packed, q + STEP + 4 * G, LE);
                    u = IntVector.fromMemorySegment(I, packed, q + STEP + 8 * G, LE);
                    s0 = qa.lanewise(AND, six).mul(xp[x + 2]).add(s0);
                    s0 = qa.lanewise(LSHR, 6).lanewise(AND, six).mul(xp[x + 3]).add(s0);
                    s1 = qb.lanewise(AND, six).mul(xp[x + 18]).add(s1);
                    s1 = qb.lanewise(LSHR, 6).lanewise(AND, six).mul(xp[x + 19]).add(s1);
                    s2 = u.lanewise(AND, six).mul(xp[x + 34]).add(s2);
                    s2 = u.lanewise(LSHR, 6).lanewise(AND, six).mul(xp[x + 35]).add(s2);
                    s3 = qa.lanewise(LSHR, 12).lanewise(AND, low).lanewise(OR, u.lanewise(LSHR, 8).lanewise(AND, high)).mul(xp[x + 50]).add(s3);
                    s3 = qb.lanewise(LSHR, 12).lanewise(AND, low).lanewise(OR, u.lanewise(LSHR, 10).lanewise(AND, high)).mul(xp[x + 51]).add(s3);
                    // Each stream's 8 values of this iteration times their sub-block's int8 scale,
                    // added to the super-block's sum at once (not kept for the second 8 of the
                    // sub-block: four more live vectors made C2 spill, see above).
                    sum = s0.lanewise(ASHR, 16).mul(scales.lanewise(LSHL, 24).lanewise(ASHR, 24)).add(sum);
                    sum = s1.lanewise(ASHR, 16).mul(scales.lanewise(LSHL, 16).lanewise(ASHR, 24)).add(sum);
                    sum = s2.lanewise(ASHR, 16).mul(scales.lanewise(LSHL, 8).lanewise(ASHR, 24)).add(sum);
                    sum = s3.lanewise(ASHR, 16).mul(scales.lanewise(ASHR, 24)).add(sum);
                    if ((j & 1) == 1) {
                        // Past the next piece's scale word.
                        q += 4 * G;
                    }
                    if ((j & 3) == 3) {
                        x += 48;
                    }
                    if ((j & 7) == 7) {
                        ((FloatVector) sum.reinterpretShape(F, 0)).intoArray(superSums, G * (j >> 3));
                        sum = zero;
                        o += groupBlockBytes;
                        // Past the next super-block's d.
                        q += 2 * G;
                    }
                    int next = (x + 4) >> 2;
                    s0 = IntVector.broadcast(I, starts[next]);
                    s1 = IntVector.broadcast(I, starts[next + 4]);
                    s2 = IntVector.broadcast(I, starts[next + 8]);
                    s3 = IntVector.broadcast(I, starts[next + 12]);
                }
                scaleSuperBlocks(superSums, g, a.scales, xb, out, outOffset + t * outStride, r0, r1);
            }
        }
    }

    /**
     * {@link #gemv}'s end for group {@code g} and one vector: each super-block's sum (in
     * {@code superSums}) scaled by {@code d} and the activations' scale ({@code scales[xb ..]}),
     * into {@code out[at + row]}; a method of its own, as {@code Q4_KMatrix.scaleSuperBlocks}.
     */
    private void scaleSuperBlocks(float[] superSums, int g, float[] scales, int xb, float[] out, int at, int r0, int r1) {
        IntVector halfBits = IntVector.broadcast(I, 0x8FFFE000);
        FloatVector acc = FloatVector.zero(F);
        long o = g * groupBytes;
        for (int sb = 0; sb < cols / BLOCK; sb++, o += groupBlockBytes) {
            IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
            FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(dUnit);
            acc = d.mul((FloatVector) FloatVector.fromArray(F, superSums, G * sb).reinterpretShape(I, 0).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, scales[xb + 8 * sb + 4]), acc);
        }
        int row = g * G;
        if (row >= r0 && row + G <= r1) {
            acc.intoArray(out, at + row);
        } else {
            acc.intoArray(out, at + row, F.indexInRange(row, r1).andNot(F.indexInRange(row, r0)));
        }
    }

    @Override
    void fillPanel(int group, int pair0, int pairs, int[] w, float[] scale, float[] offset) {
        long o = group * groupBytes + (pair0 / 128) * groupBlockBytes;
        for (int sb = 0; sb < pairs / 128; sb++, o += groupBlockBytes) {
            for (int step = 0; step < 16; step++) {
                long at = o + stepAt(step);
                IntVector qa = IntVector.fromMemorySegment(I, packed, at, LE);
                IntVector qb = IntVector.fromMemorySegment(I, packed, at + 4 * G, LE);
                IntVector u = IntVector.fromMemorySegment(I, packed, at + 8 * G, LE);
                int k = sb * 128 + 64 * (step >> 3) + 2 * (step & 7);
                IntVector p = qa.and(0x003F003F);
                (SHORTS ? p.add(FLIP - 0x00200020).lanewise(XOR, FLIP) : p.sub(0x00200020)).intoArray(w, k * G);
                p = qa.lanewise(LSHR, 6).and(0x003F003F);
                (SHORTS ? p.add(FLIP - 0x00200020).lanewise(XOR, FLIP) : p.sub(0x00200020)).intoArray(w, (k + 1) * G);
                p = qb.and(0x003F003F);
                (SHORTS ? p.add(FLIP - 0x00200020).lanewise(XOR, FLIP) : p.sub(0x00200020)).intoArray(w, (k + 16) * G);
                p = qb.lanewise(LSHR, 6).and(0x003F003F);
                (SHORTS ? p.add(FLIP - 0x00200020).lanewise(XOR, FLIP) : p.sub(0x00200020)).intoArray(w, (k + 17) * G);
                p = u.and(0x003F003F);
                (SHORTS ? p.add(FLIP - 0x00200020).lanewise(XOR, FLIP) : p.sub(0x00200020)).intoArray(w, (k + 32) * G);
                p = u.lanewise(LSHR, 6).and(0x003F003F);
                (SHORTS ? p.add(FLIP - 0x00200020).lanewise(XOR, FLIP) : p.sub(0x00200020)).intoArray(w, (k + 33) * G);
                p = qa.lanewise(LSHR, 12).and(0x000F000F).or(u.lanewise(LSHR, 8).and(0x00300030));
                (SHORTS ? p.add(FLIP - 0x00200020).lanewise(XOR, FLIP) : p.sub(0x00200020)).intoArray(w, (k + 48) * G);
                p = qb.lanewise(LSHR, 12).and(0x000F000F).or(u.lanewise(LSHR, 10).and(0x00300030));
                (SHORTS ? p.add(FLIP - 0x00200020).lanewise(XOR, FLIP) : p.sub(0x00200020)).intoArray(w, (k + 49) * G);
            }
            IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
            FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(dUnit);
            // Units of 4 pairs (int32) or 8 (int16): two or one per sub-block of 16 values.
            int perSub = 8 / unitPairs();
            for (int sub = 0; sub < 16; sub++) {
                // Sub-block 8h + 2i + b (stream i, half h, b = 0 or 1): byte i of piece 2h + b's word.
                IntVector bytes = IntVector.fromMemorySegment(I, packed, o + scaleWord(2 * (sub >> 3) + (sub & 1)), LE);
                FloatVector f = d.mul((FloatVector) bytes.lanewise(LSHL, 24 - 8 * ((sub >> 1) & 3)).lanewise(ASHR, 24).convertShape(I2F, F, 0));
                for (int u = (sb * 16 + sub) * perSub; u < (sb * 16 + sub + 1) * perSub; u++) {
                    f.intoArray(scale, u * G);
                }
            }
        }
    }

    /**
     * 16 (at 16 lanes) with 32-bit pair products; 11 with 16-bit ones, whose units of 8 pairs halve
     * the batch kernel's readouts: one core, 2048 x 2048, batch against {@link #gemv} per vector,
     * GFLOP/s: 9 vectors 38.7 / 45.6, 10 43.6-44.2 / 45.3-46.8, 11 48.3-48.4 / 46.3-47.5, 12
     * 51.9-52.7 / 46.1-48.3, 14 61.4-63.2 / 46.8-47.8 (Intel Xeon, 2026-12-06).
     */
    @Override
    public int batchFrom() {
        return floatBatches ? floatBatchFrom() : batchFromLanes(SHORTS ? 11 : 16);
    }

    @Override
    public boolean superBlockActivations() {
        return true;
    }

    @Override
    int unitPairs() {
        return PairProducts.BATCH.unitPairs(4);
    }

    @Override
    boolean hasOffsets() {
        return false;
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block + D));
            for (int h = 0; h < 2; h++) {
                long sc = block + SCALES + 8 * h;
                for (int l = 0; l < 32; l += B_LANES) {
                    ByteVector qh = ByteVector.fromMemorySegment(B, data, block + QH + 32 * h + l, LE);
                    int is = l / 16;
                    for (int t = 0; t < 2; t++, qh = qh.lanewise(LSHR, 2)) {
                        ByteVector ql = ByteVector.fromMemorySegment(B, data, block + 64 * h + 32 * t + l, LE);
                        ByteVector lo = ql.and((byte) 0x0F)
                                .or(qh.lanewise(LSHL, 4).and((byte) 0x30)).sub((byte) 32);
                        ByteVector hi = ql.lanewise(LSHR, 4)
                                .or(qh.and((byte) 0x30)).sub((byte) 32);
                        FloatVector sLo = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 2 * t));
                        FloatVector sHi = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 4 + 2 * t));
                        int k = dstOffset + i + 128 * h + 32 * t + l;
                        for (int p = 0; p < BYTE_PARTS; p++) {
                            FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                            wLo.mul(sLo).intoArray(dst, k + p * F_LANES);
                            FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                            wHi.mul(sHi).intoArray(dst, k + 64 + p * F_LANES);
                        }
                    }
                }
            }
        }
    }
}
