package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

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
 * Q5_K: super-blocks of 256 values,
 * {@code block_q5_K { fp16 d; fp16 dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]; }}. Low four
 * bits as in Q4_K; the fifth bit of value {@code l} of sub-block {@code j} is bit {@code j} of
 * {@code qh[l]}; value = d * scale(j) * q - dmin * min(j).
 */
final class Q5_KMatrix extends InterleavedMatrix {
    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 176;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;

    Q5_KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_K, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
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
                    // Bits 2c and 2c+1 of each qh byte, moved to bit 4 by byte-lane shifts (not int
                    // lanes: see Simd on keeping one species per element type).
                    ByteVector qh = ByteVector.fromMemorySegment(B, data, block + QH + j, LE)
                            .lanewise(LSHR, 2 * c);
                    ByteVector lo = q.and((byte) 0x0F).or(qh.lanewise(LSHL, 4).and((byte) 0x10));
                    ByteVector hi = q.lanewise(LSHR, 4)
                            .or(qh.lanewise(LSHL, 3).and((byte) 0x10));
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
     * {@code d}, {@code dmin}, the scales as three ints, then {@code qh} and {@code qs} as words of
     * 4 bytes ({@link #interleavePairWords}) of the {@link #G} rows, in the order the kernels read
     * them ({@link #qsUnit}).
     */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        int to = interleaveField(src, rowStride, at, 0, 2, 2, dst, 0);
        to = interleaveField(src, rowStride, at, 2, 2, 2, dst, to);
        to = interleaveField(src, rowStride, at, SCALES, 12, 4, dst, to);
        for (int w = 0; w < 8; w++) {
            to = interleavePairWords(src, rowStride, at, QH + 4 * w, 4, dst, to);
            to = interleavePairWords(src, rowStride, at, QS + 4 * w, 4, dst, to);
        }
        interleavePairWords(src, rowStride, at, QS + 32, 96, dst, to);
    }

    /**
     * Where step {@code k} (a word of {@code qs}) of a super-block reads its {@code qs} word, in
     * units of {@code 4 G} bytes from the super-block's start: after the 4 units of scales, the
     * first chunk's steps alternate with the {@code qh} words ({@code qh} word {@code w} at
     * {@code 4 + 2w}), then the other chunks' steps follow in order. So the kernels read one
     * forward stream (the later chunks re-read {@code qh} from L1). With {@code qh} and {@code qs}
     * in two regions 512 bytes apart, a 65536 x 2048 matrix streamed at 7.9 GB/s on one core
     * against 15.5 GB/s for one that fits in cache (measured 2026-12-05, with byte pairs,
     * {@code MatMulBenchmarkMain}); Q6_K had the same problem.
     */
    private static int qsUnit(int step) {
        return step < 8 ? 5 + 2 * step : 12 + step;
    }

    /**
     * As {@code Q4_KMatrix.gemv}, with the fifth bits: in chunk {@code c}, bit {@code 2c} of
     * {@code qh[l]} for the low nibbles and bit {@code 2c + 1} for the high ones, {@code qh} read as
     * words like {@code qs} ({@link #interleavePairWords}): word {@code w} of a chunk gives pairs
     * {@code 2w, 2w + 1} of both sub-blocks. An accumulator holds half a sub-block, so each is read
     * out at the middle and at the end of the chunk; the unsigned weights are multiplied and each
     * half starts at minus 16 times its activations' sum (two {@link QuantizedActivations#octetSums}),
     * so the high half ends as {@code sum (q - 16) x}. As in {@code Q4_KMatrix.gemv}, the
     * super-block stays in integers (activations with one scale per super-block): each sub-block
     * adds {@code sc (sum (q - 16) x + 16 X)} and {@code m X} to two int sums (below 2^26), scaled
     * once per super-block by {@code d} and {@code -dmin} (4-5% faster on one core in cache; the
     * loop of words, not the scaling, bounds this kernel). Loops
     * nest as in {@code Q4_KMatrix.gemv}, for the same reason: with the layout of {@link #qsUnit}
     * as well, a Llama-3.2-1B Q5_K_M file decoded 24 instead of 14 tokens/s on two cores (medians of
     * four alternating runs). Words and unsigned weights instead of byte pairs and centred ones:
     * 9-14% faster from memory on one core, 8% slower with the matrix in cache (its 8-step chunk
     * loop; alternating bursts in one JVM, AMD EPYC, 2026-12-05); decode reads from memory. One
     * loop over the row's words, which made Q4_K's kernel faster, was slower here: 13-18% in cache
     * and up to 15% from memory (the address of each {@code qs} word computed per step).
     */
    @Override
    void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        float dUnit = this.dUnit;
        float minUnit = this.minUnit;
        IntVector low = IntVector.broadcast(I, 0x000F000F);
        IntVector fifth = IntVector.broadcast(I, 0x00100010);
        IntVector m15 = IntVector.broadcast(I, 15);
        IntVector m30 = IntVector.broadcast(I, 0x30);
        IntVector halfBits = IntVector.broadcast(I, 0x8FFFE000);
        IntVector sixteen = IntVector.broadcast(I, 16);
        for (int g = r0 / G; g * G < r1; g++) {
            for (int t = 0; t < a.count; t++) {
                long o = g * groupBytes;
                int[] xp = a.pairs;
                int xk = t * (cols / 2);
                int xb = t * (cols / 32);
                FloatVector acc = FloatVector.zero(F);
                int[] sums = a.octetSums;
                int[] bs = a.blockSums;
                IntVector zero = IntVector.zero(I);
                for (int sb = 0, blocks = cols / 256; sb < blocks; sb++, o += groupBlockBytes) {
                    IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
                    FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(dUnit);
                    IntVector dminBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o + 2 * G, LE).convertShape(S2I, I, 0);
                    FloatVector dmin = ((FloatVector) dminBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(minUnit);
                    IntVector sc = zero;
                    IntVector mn = zero;
                    for (int c = 0; c < 4; c++) {
                        int x = xk + sb * 128 + c * 32;
                        // Each half sub-block starts at minus 16 times its activations' sum (two octets).
                        int n = x >> 2;
                        IntVector sLo = IntVector.broadcast(I, ROUND - ((sums[n] + sums[n + 1]) << 20));
                        IntVector sHi = IntVector.broadcast(I, ROUND - ((sums[n + 4] + sums[n + 5]) << 20));
                        IntVector halfLo = zero;
                        IntVector halfHi = zero;
                        for (int w = 0; w < 8; w++) {
                            IntVector v = IntVector.fromMemorySegment(I, packed, o + 4 * G * qsUnit(8 * c + w), LE);
                            IntVector h = IntVector.fromMemorySegment(I, packed, o + 4 * G * (4 + 2 * w), LE).lanewise(LSHR, 2 * c);
                            sLo = v.lanewise(AND, low).lanewise(OR, h.lanewise(LSHL, 4).lanewise(AND, fifth)).mul(xp[x + 2 * w]).add(sLo);
                            sLo = v.lanewise(LSHR, 8).lanewise(AND, low).lanewise(OR, h.lanewise(LSHR, 4).lanewise(AND, fifth)).mul(xp[x + 2 * w + 1]).add(sLo);
                            sHi = v.lanewise(LSHR, 4).lanewise(AND, low).lanewise(OR, h.lanewise(LSHL, 3).lanewise(AND, fifth)).mul(xp[x + 16 + 2 * w]).add(sHi);
                            sHi = v.lanewise(LSHR, 12).lanewise(AND, low).lanewise(OR, h.lanewise(LSHR, 5).lanewise(AND, fifth)).mul(xp[x + 17 + 2 * w]).add(sHi);
                            if (w == 3) {
                                halfLo = sLo.lanewise(ASHR, sixteen);
                                halfHi = sHi.lanewise(ASHR, sixteen);
                                sLo = IntVector.broadcast(I, ROUND - ((sums[n + 2] + sums[n + 3]) << 20));
                                sHi = IntVector.broadcast(I, ROUND - ((sums[n + 6] + sums[n + 7]) << 20));
                            }
                        }
                        int half = 16 * (c & 1);
                        boolean top = c >= 2;
                        int highShift = top ? half + 2 : half;
                        IntVector scBits = IntVector.fromMemorySegment(I, packed, o + (top ? 12 : 4) * G, LE).lanewise(LSHR, half);
                        IntVector scHigh = IntVector.fromMemorySegment(I, packed, o + 4 * G, LE).lanewise(LSHR, highShift);
                        IntVector mnBits = IntVector.fromMemorySegment(I, packed, o + (top ? 12 : 8) * G, LE).lanewise(LSHR, top ? half + 4 : half);
                        IntVector mnHigh = IntVector.fromMemorySegment(I, packed, o + 8 * G, LE).lanewise(LSHR, highShift);
                        int j = xb + 8 * sb + 2 * c;
                        IntVector scLo = scBits.lanewise(AND, m15).lanewise(OR, scHigh.lanewise(AND, m30));
                        sc = sLo.lanewise(ASHR, sixteen).add(halfLo).add(IntVector.broadcast(I, bs[j] << 4)).mul(scLo).add(sc);
                        mn = mnBits.lanewise(AND, m15).lanewise(OR, mnHigh.lanewise(AND, m30)).mul(bs[j]).add(mn);
                        IntVector scHi = scBits.lanewise(LSHR, 8).lanewise(AND, m15).lanewise(OR, scHigh.lanewise(LSHR, 8).lanewise(AND, m30));
                        sc = sHi.lanewise(ASHR, sixteen).add(halfHi).add(IntVector.broadcast(I, bs[j + 1] << 4)).mul(scHi).add(sc);
                        mn = mnBits.lanewise(LSHR, 8).lanewise(AND, m15).lanewise(OR, mnHigh.lanewise(LSHR, 8).lanewise(AND, m30)).mul(bs[j + 1]).add(mn);
                    }
                    float dx = a.scales[xb + 8 * sb];
                    acc = d.mul((FloatVector) sc.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, dx), acc);
                    acc = dmin.mul((FloatVector) mn.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, -dx), acc);
                }
                int row = g * G;
                int at = outOffset + t * outStride + row;
                if (row >= r0 && row + G <= r1) {
                    acc.intoArray(out, at);
                } else {
                    acc.intoArray(out, at, F.indexInRange(row, r1).andNot(F.indexInRange(row, r0)));
                }
            }
        }
    }

    @Override
    void fillPanel(int group, int pair0, int pairs, int[] w, float[] scale, float[] offset) {
        long o = group * groupBytes + (pair0 / 128) * groupBlockBytes;
        for (int sb = 0; sb < pairs / 128; sb++, o += groupBlockBytes) {
            for (int step = 0; step < 32; step++) {
                int c = step >> 3;
                IntVector v = IntVector.fromMemorySegment(I, packed, o + 4 * G * qsUnit(step), LE);
                IntVector h = IntVector.fromMemorySegment(I, packed, o + 4 * G * (4 + 2 * (step & 7)), LE).lanewise(LSHR, 2 * c);
                int k = sb * 128 + c * 32 + 2 * (step & 7);
                v.and(0x000F000F).or(h.lanewise(LSHL, 4).and(0x00100010)).sub(0x00100010).intoArray(w, k * G);
                v.lanewise(LSHR, 8).and(0x000F000F).or(h.lanewise(LSHR, 4).and(0x00100010)).sub(0x00100010).intoArray(w, (k + 1) * G);
                v.lanewise(LSHR, 4).and(0x000F000F).or(h.lanewise(LSHL, 3).and(0x00100010)).sub(0x00100010).intoArray(w, (k + 16) * G);
                v.lanewise(LSHR, 12).and(0x000F000F).or(h.lanewise(LSHR, 5).and(0x00100010)).sub(0x00100010).intoArray(w, (k + 17) * G);
            }
            PackedScales.fillPanelScales(packed, o, dUnit, minUnit, 16f, 2, sb * 16, scale, offset);
        }
    }

    @Override
    public int batchFrom() {
        return batchFromLanes(10);
    }

    @Override
    public boolean superBlockActivations() {
        return true;
    }

    @Override
    int unitPairs() {
        return 8;
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
                    // Bits 2c and 2c+1 of each qh byte, moved to bit 4 by byte-lane shifts (not int
                    // lanes: see Simd on keeping one species per element type).
                    ByteVector qh = ByteVector.fromMemorySegment(B, data, block + QH + j, LE)
                            .lanewise(LSHR, 2 * c);
                    ByteVector lo = q.and((byte) 0x0F).or(qh.lanewise(LSHL, 4).and((byte) 0x10));
                    ByteVector hi = q.lanewise(LSHR, 4)
                            .or(qh.lanewise(LSHL, 3).and((byte) 0x10));
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
