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
import static dev.chelsea.engine.tensor.Simd.INT_LE;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.AND;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.OR;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * Q4_K: super-blocks of 256 values,
 * {@code block_q4_K { fp16 d; fp16 dmin; uint8 scales[12]; uint8 qs[128]; }}. Each 64 values share
 * 32 bytes of qs: the low nibbles are sub-block {@code 2c}, the high nibbles sub-block {@code 2c + 1};
 * sub-block {@code j} has value = d * scale(j) * q - dmin * min(j) (see {@link PackedScales}).
 */
final class Q4_KMatrix extends InterleavedMatrix {
    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;

    Q4_KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_K, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        // Separate accumulators for low and high nibbles keep two FMA chains in flight.
        FloatVector accLo = FloatVector.zero(F);
        FloatVector accHi = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block));
            float negMin = -Float.float16ToFloat(data.get(SHORT_LE, block + 2));
            int a = data.get(INT_LE, block + SCALES);
            int b = data.get(INT_LE, block + SCALES + 4);
            int e = data.get(INT_LE, block + SCALES + 8);
            long scales = PackedScales.scales(a, e);
            long mins = PackedScales.mins(b, e);
            for (int c = 0; c < 4; c++, scales >>>= 16, mins >>>= 16) {
                FloatVector d1 = FloatVector.broadcast(F, d * (int) (scales & 0xFF));
                FloatVector m1 = FloatVector.broadcast(F, negMin * (int) (mins & 0xFF));
                FloatVector d2 = FloatVector.broadcast(F, d * (int) ((scales >>> 8) & 0xFF));
                FloatVector m2 = FloatVector.broadcast(F, negMin * (int) ((mins >>> 8) & 0xFF));
                int xo = xOffset + i + 64 * c;
                for (int j = 0; j < 32; j += B_LANES) {
                    ByteVector q = ByteVector.fromMemorySegment(B, data, block + QS + 32 * c + j, LE);
                    ByteVector lo = q.and((byte) 0x0F);
                    ByteVector hi = q.lanewise(LSHR, 4);
                    for (int p = 0; p < BYTE_PARTS; p++) {
                        int k = xo + j + p * F_LANES;
                        FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                        accLo = wLo.fma(d1, m1).fma(FloatVector.fromArray(F, x, k), accLo);
                        FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                        accHi = wHi.fma(d2, m2).fma(FloatVector.fromArray(F, x, k + 32), accHi);
                    }
                }
            }
        }
        return accLo.add(accHi).reduceLanes(ADD);
    }

    /**
     * {@code d}, {@code dmin}, the 12 bytes of scales as three ints, then {@code qs} as 32 words
     * ({@link #interleavePairWords}), of the {@link #G} rows.
     */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        int to = interleaveField(src, rowStride, at, 0, 2, 2, dst, 0);
        to = interleaveField(src, rowStride, at, 2, 2, 2, dst, to);
        to = interleaveField(src, rowStride, at, SCALES, 12, 4, dst, to);
        interleavePairWords(src, rowStride, at, QS, 128, dst, to);
    }

    /**
     * Word {@code i} (0 to 7) of chunk {@code c} of a super-block holds bytes {@code 4i} to
     * {@code 4i + 3} of the chunk's 32 bytes of {@code qs}: their low nibbles are values
     * {@code 64c + 4i} to {@code + 3} of sub-block {@code 2c} (its pairs {@code 2i, 2i + 1}), their
     * high nibbles the same values of sub-block {@code 2c + 1}. A sub-block fits one accumulator:
     * the unsigned nibbles multiply the activations, and the accumulator starts at minus {@code 8}
     * times the sub-block's activation sum {@code X} ({@link QuantizedActivations#blockSums};
     * sub-blocks are activation blocks), so that its high half ends as {@code sum (q - 8) x} (as in
     * {@link Q4_0Matrix#gemv}), within range. The activations carry one scale per super-block
     * ({@link QuantizedActivations#superBlocks}, llama.cpp's Q8_K), so the super-block stays in
     * integers: at the end of a chunk each sub-block adds {@code sc (sum (q - 8) x + 8 X)} to one
     * int sum and {@code m X} to another (at most {@code 8 * 63 * 15 * 127 * 32}, below 2^25), and
     * at the end of the super-block the two are converted and scaled once, by {@code d} and
     * {@code -dmin} times the activations' scale. With a scale per block of 32 every sub-block was
     * converted and scaled on its own: one vector times a 2048 x 2048 matrix of trained-like weights
     * took 0.117-0.118 ms on one core, 0.109-0.111 ms now (20.1 against 21.4 GB/s;
     * {@code MatMulBenchmarkMain Q4_K 1 1,2 2048 2048}, alternating JVMs, AMD EPYC Zen 4,
     * 2026-12-05; on the uniformly random matrices of the tests, 146-155 against 123-124 us). The
     * 6-bit scales and mins are unpacked lane-wise (as {@link PackedScales} does for one row), with
     * the choice between the low and high sub-blocks made by shift counts and offsets, not by
     * selecting vectors.
     *
     * <p>One loop over all words of the row, with the chunk's and the super-block's ends as
     * branches, as in {@link Q4_0Matrix#gemv}; {@code d} and {@code dmin} are read at each
     * super-block's end. Measured against the byte-pair kernel with loops nested by super-block, chunk and step
     * (16 steps, which C2 compiled well; one thread, alternating bursts in one JVM, AMD EPYC,
     * 2026-12-05): +11-17% with the matrix in cache, +19-20% from memory. Words in that nested form
     * were 2-8% slower (a chunk loop of 8 steps), written out 30-55% slower, and one loop per
     * super-block (32 words) from 10% faster to half the speed depending on the run.
     *
     * <p>Several vectors (a short prompt) go two at a time through {@link #gemvTwo}, which splits
     * each word and unpacks each chunk's scales once for both: against one vector at a time, 2 to 16
     * vectors ran 15-34% faster (up to 63% for two vectors from memory), one vector unchanged
     * (alternating bursts in one JVM, AMD EPYC, 2026-12-05). The chunk's scale unpacking is written
     * out in both methods: a helper returning vectors would box them. Q4_0 did not gain the same
     * way (its decode step lost 10-20% once its loop moved into a method per vector), so it keeps
     * one loop per vector.
     */
    @Override
    void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        int touched = 0;
        int[] superSums = (a.count & 1) == 1 ? kernelSums(2 * G * (cols / BLOCK)) : null;
        for (int g = r0 / G; g * G < r1; g++) {
            int t = 0;
            for (; t + 2 <= a.count; t += 2) {
                gemvTwo(a, out, outOffset, outStride, r0, r1, g, t);
            }
            if (t < a.count) {
                touched += gemvOne(a, out, outOffset, outStride, r0, r1, g, t, superSums);
            }
        }
        touchedAhead = touched;
    }

    /**
     * Rows of group {@code g} times vector {@code t}; returns what it read {@linkplain #ahead ahead}.
     * Two words a step: with one, the loop's own work (its counter, checks and read-ahead, and
     * registers spilled around it, about 30 of 50 instructions a word in C2's code on AVX2) cost
     * more than the products. The loop keeps to integers: each super-block's two sums go to
     * {@code superSums} (2 G ints a super-block), and {@link #scaleSuperBlocks} scales them in
     * floats. Against one word a step with the floats in the loop (AMD EPYC Zen 3, AVX2, both forms
     * alternating in one JVM, medians of 7-9 rounds, 2026-12-06): one core, 8192 x 2048 in cache,
     * 1.14 -> 0.92 ms; two cores, 262144 x 2048 from memory, 18.3 -> 15.7 ms (16.5 -> 19.2 GB/s).
     */
    private int gemvOne(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1, int g, int t, int[] superSums) {
        IntVector low = IntVector.broadcast(I, 0x000F000F);
        IntVector m15 = IntVector.broadcast(I, 15);
        IntVector m30 = IntVector.broadcast(I, 0x30);
        IntVector sixteen = IntVector.broadcast(I, 16);
        IntVector zero = IntVector.zero(I);
        long o = g * groupBytes;
        int[] xp = a.pairs;
        int[] bs = a.blockSums;
        int xb = t * (cols / 32);
        IntVector sc = zero;
        IntVector mn = zero;
        IntVector sLo = IntVector.broadcast(I, ROUND - (bs[xb] << 19));
        IntVector sHi = IntVector.broadcast(I, ROUND - (bs[xb + 1] << 19));
        long q = o + 16 * G;
        int x = t * (cols / 2);
        int touched = 0;
        for (int k = 0, steps = cols / 16; k < steps; k++, q += 8 * G, x += 4) {
            if (READ_AHEAD) {
                touched += ahead(q);
            }
            IntVector v = IntVector.fromMemorySegment(I, packed, q, LE);
            IntVector w = IntVector.fromMemorySegment(I, packed, q + 4 * G, LE);
            sLo = v.lanewise(AND, low).mul(xp[x]).add(sLo);
            sHi = v.lanewise(LSHR, 4).lanewise(AND, low).mul(xp[x + 16]).add(sHi);
            sLo = v.lanewise(LSHR, 8).lanewise(AND, low).mul(xp[x + 1]).add(sLo);
            sHi = v.lanewise(LSHR, 12).lanewise(AND, low).mul(xp[x + 17]).add(sHi);
            sLo = w.lanewise(AND, low).mul(xp[x + 2]).add(sLo);
            sHi = w.lanewise(LSHR, 4).lanewise(AND, low).mul(xp[x + 18]).add(sHi);
            sLo = w.lanewise(LSHR, 8).lanewise(AND, low).mul(xp[x + 3]).add(sLo);
            sHi = w.lanewise(LSHR, 12).lanewise(AND, low).mul(xp[x + 19]).add(sHi);
            if ((k & 3) == 3) {
                int c = (k >> 2) & 3;
                int j = xb + 2 * (k >> 2);
                int half = 16 * (c & 1);
                boolean top = c >= 2;
                int highShift = top ? half + 2 : half;
                IntVector scBits = IntVector.fromMemorySegment(I, packed, o + (top ? 12 : 4) * G, LE).lanewise(LSHR, half);
                IntVector scHigh = IntVector.fromMemorySegment(I, packed, o + 4 * G, LE).lanewise(LSHR, highShift);
                IntVector mnBits = IntVector.fromMemorySegment(I, packed, o + (top ? 12 : 8) * G, LE).lanewise(LSHR, top ? half + 4 : half);
                IntVector mnHigh = IntVector.fromMemorySegment(I, packed, o + 8 * G, LE).lanewise(LSHR, highShift);
                IntVector scLo = scBits.lanewise(AND, m15).lanewise(OR, scHigh.lanewise(AND, m30));
                sc = sLo.lanewise(ASHR, sixteen).add(IntVector.broadcast(I, bs[j] << 3)).mul(scLo).add(sc);
                mn = mnBits.lanewise(AND, m15).lanewise(OR, mnHigh.lanewise(AND, m30)).mul(bs[j]).add(mn);
                IntVector scHi = scBits.lanewise(LSHR, 8).lanewise(AND, m15).lanewise(OR, scHigh.lanewise(LSHR, 8).lanewise(AND, m30));
                sc = sHi.lanewise(ASHR, sixteen).add(IntVector.broadcast(I, bs[j + 1] << 3)).mul(scHi).add(sc);
                mn = mnBits.lanewise(LSHR, 8).lanewise(AND, m15).lanewise(OR, mnHigh.lanewise(LSHR, 8).lanewise(AND, m30)).mul(bs[j + 1]).add(mn);
                sLo = IntVector.broadcast(I, ROUND - (bs[j + 2] << 19));
                sHi = IntVector.broadcast(I, ROUND - (bs[j + 3] << 19));
                x += 16;
                if (c == 3) {
                    int at = 2 * G * (k >> 4);
                    sc.intoArray(superSums, at);
                    mn.intoArray(superSums, at + G);
                    sc = zero;
                    mn = zero;
                    o += groupBlockBytes;
                    q += 16 * G;
                }
            }
        }
        scaleSuperBlocks(superSums, g, a.scales, xb, out, outOffset + t * outStride, r0, r1);
        return touched;
    }

    /**
     * {@link #gemvOne}'s end: the super-block sums of group {@code g} scaled by {@code d} and
     * {@code -dmin} times the activations' scales ({@code scales[xb ..]}) into {@code out[at + row]}.
     * A method of its own: in the two-word loop, C2 left this float part in the Vector API's fallback
     * in 2 of 9 of {@code CompiledKernelsTest}'s JVMs, after the loop in the same method in 1 of 6
     * (C2 stops inlining once a method's graph is large), here in none of 8.
     */
    private void scaleSuperBlocks(int[] superSums, int g, float[] scales, int xb, float[] out, int at, int r0, int r1) {
        IntVector halfBits = IntVector.broadcast(I, 0x8FFFE000);
        FloatVector acc = FloatVector.zero(F);
        long o = g * groupBytes;
        for (int sb = 0, s = 0; sb < cols / BLOCK; sb++, s += 2 * G, o += groupBlockBytes) {
            IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
            FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(dUnit);
            IntVector dminBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o + 2 * G, LE).convertShape(S2I, I, 0);
            FloatVector dmin = ((FloatVector) dminBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(minUnit);
            float dx = scales[xb + 8 * sb + 6];
            acc = d.mul((FloatVector) IntVector.fromArray(I, superSums, s).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, dx), acc);
            acc = dmin.mul((FloatVector) IntVector.fromArray(I, superSums, s + G).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, -dx), acc);
        }
        int row = g * G;
        if (row >= r0 && row + G <= r1) {
            acc.intoArray(out, at + row);
        } else {
            acc.intoArray(out, at + row, F.indexInRange(row, r1).andNot(F.indexInRange(row, r0)));
        }
    }

    /**
     * Rows of group {@code g} times vectors {@code t} and {@code t + 1}: each word is loaded and
     * split into its four pairs once, and each chunk's scales and mins unpacked once, for both
     * (about a third of {@link #gemvOne}'s operations). Each vector's sums run in the same order as
     * in {@link #gemvOne}, so the results are the same to the bit.
     */
    private void gemvTwo(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1, int g, int t) {
        float dUnit = this.dUnit;
        float minUnit = this.minUnit;
        IntVector low = IntVector.broadcast(I, 0x000F000F);
        IntVector m15 = IntVector.broadcast(I, 15);
        IntVector m30 = IntVector.broadcast(I, 0x30);
        IntVector halfBits = IntVector.broadcast(I, 0x8FFFE000);
        IntVector sixteen = IntVector.broadcast(I, 16);
        IntVector zero = IntVector.zero(I);
        long o = g * groupBytes;
        int[] xp = a.pairs;
        int[] bs = a.blockSums;
        int next = cols / 2;
        int nb = cols / 32;
        int xb = t * nb;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        IntVector sc0 = zero;
        IntVector mn0 = zero;
        IntVector sc1 = zero;
        IntVector mn1 = zero;
        IntVector sLo0 = IntVector.broadcast(I, ROUND - (bs[xb] << 19));
        IntVector sHi0 = IntVector.broadcast(I, ROUND - (bs[xb + 1] << 19));
        IntVector sLo1 = IntVector.broadcast(I, ROUND - (bs[xb + nb] << 19));
        IntVector sHi1 = IntVector.broadcast(I, ROUND - (bs[xb + nb + 1] << 19));
        long q = o + 16 * G;
        int x = t * next;
        for (int k = 0, steps = cols / 8; k < steps; k++, q += 4 * G, x += 2) {
            IntVector v = IntVector.fromMemorySegment(I, packed, q, LE);
            IntVector w = v.lanewise(AND, low);
            sLo0 = w.mul(xp[x]).add(sLo0);
            sLo1 = w.mul(xp[x + next]).add(sLo1);
            w = v.lanewise(LSHR, 4).lanewise(AND, low);
            sHi0 = w.mul(xp[x + 16]).add(sHi0);
            sHi1 = w.mul(xp[x + next + 16]).add(sHi1);
            w = v.lanewise(LSHR, 8).lanewise(AND, low);
            sLo0 = w.mul(xp[x + 1]).add(sLo0);
            sLo1 = w.mul(xp[x + next + 1]).add(sLo1);
            w = v.lanewise(LSHR, 12).lanewise(AND, low);
            sHi0 = w.mul(xp[x + 17]).add(sHi0);
            sHi1 = w.mul(xp[x + next + 17]).add(sHi1);
            if ((k & 7) == 7) {
                int c = (k >> 3) & 3;
                int j = xb + 2 * (k >> 3);
                int j1 = j + nb;
                int half = 16 * (c & 1);
                boolean top = c >= 2;
                int highShift = top ? half + 2 : half;
                IntVector scBits = IntVector.fromMemorySegment(I, packed, o + (top ? 12 : 4) * G, LE).lanewise(LSHR, half);
                IntVector scHigh = IntVector.fromMemorySegment(I, packed, o + 4 * G, LE).lanewise(LSHR, highShift);
                IntVector mnBits = IntVector.fromMemorySegment(I, packed, o + (top ? 12 : 8) * G, LE).lanewise(LSHR, top ? half + 4 : half);
                IntVector mnHigh = IntVector.fromMemorySegment(I, packed, o + 8 * G, LE).lanewise(LSHR, highShift);
                IntVector scLo = scBits.lanewise(AND, m15).lanewise(OR, scHigh.lanewise(AND, m30));
                IntVector mnLo = mnBits.lanewise(AND, m15).lanewise(OR, mnHigh.lanewise(AND, m30));
                IntVector scHi = scBits.lanewise(LSHR, 8).lanewise(AND, m15).lanewise(OR, scHigh.lanewise(LSHR, 8).lanewise(AND, m30));
                IntVector mnHi = mnBits.lanewise(LSHR, 8).lanewise(AND, m15).lanewise(OR, mnHigh.lanewise(LSHR, 8).lanewise(AND, m30));
                sc0 = sLo0.lanewise(ASHR, sixteen).add(IntVector.broadcast(I, bs[j] << 3)).mul(scLo).add(sc0);
                mn0 = mnLo.mul(bs[j]).add(mn0);
                sc0 = sHi0.lanewise(ASHR, sixteen).add(IntVector.broadcast(I, bs[j + 1] << 3)).mul(scHi).add(sc0);
                mn0 = mnHi.mul(bs[j + 1]).add(mn0);
                sc1 = sLo1.lanewise(ASHR, sixteen).add(IntVector.broadcast(I, bs[j1] << 3)).mul(scLo).add(sc1);
                mn1 = mnLo.mul(bs[j1]).add(mn1);
                sc1 = sHi1.lanewise(ASHR, sixteen).add(IntVector.broadcast(I, bs[j1 + 1] << 3)).mul(scHi).add(sc1);
                mn1 = mnHi.mul(bs[j1 + 1]).add(mn1);
                sLo0 = IntVector.broadcast(I, ROUND - (bs[j + 2] << 19));
                sHi0 = IntVector.broadcast(I, ROUND - (bs[j + 3] << 19));
                sLo1 = IntVector.broadcast(I, ROUND - (bs[j1 + 2] << 19));
                sHi1 = IntVector.broadcast(I, ROUND - (bs[j1 + 3] << 19));
                x += 16;
                if (c == 3) {
                    IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
                    FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(dUnit);
                    IntVector dminBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o + 2 * G, LE).convertShape(S2I, I, 0);
                    FloatVector dmin = ((FloatVector) dminBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(minUnit);
                    float dx0 = a.scales[j];
                    float dx1 = a.scales[j1];
                    acc0 = d.mul((FloatVector) sc0.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, dx0), acc0);
                    acc0 = dmin.mul((FloatVector) mn0.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, -dx0), acc0);
                    acc1 = d.mul((FloatVector) sc1.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, dx1), acc1);
                    acc1 = dmin.mul((FloatVector) mn1.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, -dx1), acc1);
                    sc0 = zero;
                    mn0 = zero;
                    sc1 = zero;
                    mn1 = zero;
                    o += groupBlockBytes;
                    q += 16 * G;
                }
            }
        }
        int row = g * G;
        int at = outOffset + t * outStride + row;
        if (row >= r0 && row + G <= r1) {
            acc0.intoArray(out, at);
            acc1.intoArray(out, at + outStride);
        } else {
            acc0.intoArray(out, at, F.indexInRange(row, r1).andNot(F.indexInRange(row, r0)));
            acc1.intoArray(out, at + outStride, F.indexInRange(row, r1).andNot(F.indexInRange(row, r0)));
        }
    }

    @Override
    void fillPanel(int group, int pair0, int pairs, int[] w, float[] scale, float[] offset) {
        long o = group * groupBytes + (pair0 / 128) * groupBlockBytes;
        for (int sb = 0; sb < pairs / 128; sb++, o += groupBlockBytes) {
            for (int word = 0; word < 32; word++) {
                fillNibbleWord(o + 16 * G + 4 * G * word, w, sb * 128 + (word >> 3) * 32 + 2 * (word & 7), 16);
            }
            PackedScales.fillPanelScales(packed, o, dUnit, minUnit, 8f, 1, sb * 8, scale, offset);
        }
    }

    /**
     * 24 at 16 lanes with 32-bit pair products: one core, a 2048 x 2048 matrix of trained-like
     * weights ({@code MatMulBenchmarkMain Q4_K 1 22,23,24,25,28 2048 2048}, AMD EPYC Zen 4,
     * 2026-12-05), the batch product (a tile of 32 lanes, its scales filled lane-wise by
     * {@link PackedScales#fillPanelScales}) took 2.01-2.02 ms for 24 to 28 vectors, the two-vector
     * kernel 0.082 ms a vector (1.79 ms for 22, 1.89 for 23): even at 24 within 2%, the batch ahead
     * from 25. 14 with 16-bit products ({@link PairProducts}): two cores of an Intel Xeon, the same
     * matrix, GFLOP/s batch / two-vector kernel (2026-12-06, two rounds): 12 vectors 105-110 /
     * 119-124, 14 122-129 / 121-123, 15 130-139 / 118-119, 16 145-149 / 114-117, 18 116-118 /
     * 119-120, 20 125-131 / 114-122, 23 151-153 / 117-120.
     */
    @Override
    public int batchFrom() {
        return batchFromLanes(SHORTS ? 14 : 24);
    }

    @Override
    public boolean superBlockActivations() {
        return true;
    }

    @Override
    int unitPairs() {
        return 16;
    }

    @Override
    boolean hasOffsets() {
        return true;
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block));
            float negMin = -Float.float16ToFloat(data.get(SHORT_LE, block + 2));
            int a = data.get(INT_LE, block + SCALES);
            int b = data.get(INT_LE, block + SCALES + 4);
            int e = data.get(INT_LE, block + SCALES + 8);
            long scales = PackedScales.scales(a, e);
            long mins = PackedScales.mins(b, e);
            for (int c = 0; c < 4; c++, scales >>>= 16, mins >>>= 16) {
                FloatVector d1 = FloatVector.broadcast(F, d * (int) (scales & 0xFF));
                FloatVector m1 = FloatVector.broadcast(F, negMin * (int) (mins & 0xFF));
                FloatVector d2 = FloatVector.broadcast(F, d * (int) ((scales >>> 8) & 0xFF));
                FloatVector m2 = FloatVector.broadcast(F, negMin * (int) ((mins >>> 8) & 0xFF));
                int o = dstOffset + i + 64 * c;
                for (int j = 0; j < 32; j += B_LANES) {
                    ByteVector q = ByteVector.fromMemorySegment(B, data, block + QS + 32 * c + j, LE);
                    ByteVector lo = q.and((byte) 0x0F);
                    ByteVector hi = q.lanewise(LSHR, 4);
                    for (int p = 0; p < BYTE_PARTS; p++) {
                        int k = o + j + p * F_LANES;
                        FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                        wLo.fma(d1, m1).intoArray(dst, k);
                        FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                        wHi.fma(d2, m2).intoArray(dst, k + 32);
                    }
                }
            }
        }
    }
}
