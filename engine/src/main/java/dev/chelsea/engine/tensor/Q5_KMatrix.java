package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.B;
import static dev.chelsea.engine.tensor.Simd.B_INTS;
import static dev.chelsea.engine.tensor.Simd.BYTE_PARTS;
import static dev.chelsea.engine.tensor.Simd.B_LANES;
import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.H;
import static dev.chelsea.engine.tensor.Simd.I;
import static dev.chelsea.engine.tensor.Simd.INT_LE;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.PAIR_BYTES;
import static dev.chelsea.engine.tensor.Simd.PAIR_SHORTS;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

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
                    // Bits 2c and 2c+1 of each qh byte, moved to bit 4 by int-lane shifts (x86 has
                    // no byte shifts); the mask drops what crossed from neighbouring bytes.
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, data, block + QH + j, LE).reinterpretShape(B_INTS, 0)
                            .lanewise(LSHR, 2 * c);
                    ByteVector lo = q.and((byte) 0x0F).or(((ByteVector) qh.lanewise(LSHL, 4).reinterpretShape(B, 0)).and((byte) 0x10));
                    ByteVector hi = ((ByteVector) ((IntVector) q.reinterpretShape(B_INTS, 0)).lanewise(LSHR, 4).reinterpretShape(B, 0)).and((byte) 0x0F)
                            .or(((ByteVector) qh.lanewise(LSHL, 3).reinterpretShape(B, 0)).and((byte) 0x10));
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

    /** {@code d}, {@code dmin}, the scales as three ints, then {@code qh} and {@code qs} as byte pairs of the {@link #G} rows, in the order the kernels read them ({@link #qsUnit}). */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        int to = interleaveField(src, rowStride, at, 0, 2, 2, dst, 0);
        to = interleaveField(src, rowStride, at, 2, 2, 2, dst, to);
        to = interleaveField(src, rowStride, at, SCALES, 12, 4, dst, to);
        for (int p = 0; p < 16; p++) {
            to = interleaveField(src, rowStride, at, QH + 2 * p, 2, 2, dst, to);
            to = interleaveField(src, rowStride, at, QS + 2 * p, 2, 2, dst, to);
        }
        interleaveField(src, rowStride, at, QS + 32, 96, 2, dst, to);
    }

    /**
     * Where step {@code k} of a super-block reads its {@code qs} pairs, in units of {@code 2 G} bytes
     * from the super-block's start: after the 8 units of scales, the first chunk's steps alternate
     * with the {@code qh} pairs ({@code qh} pair {@code p} at {@code 8 + 2p}), then the other
     * chunks' steps follow in order. So the kernels read one forward stream (the later chunks
     * re-read {@code qh} from L1). With {@code qh} and {@code qs} in two regions 512 bytes apart, a
     * 65536 x 2048 matrix streamed at 7.9 GB/s on one core against 15.5 GB/s for one that fits
     * in cache (measured 2026-12-05, {@code MatMulBenchmarkMain}); Q6_K had the same problem.
     */
    private static int qsUnit(int step) {
        return step < 16 ? 9 + 2 * step : 24 + step;
    }

    /**
     * As {@code Q4_KMatrix.gemv}, with the fifth bits: in chunk {@code c}, bit {@code 2c} of
     * {@code qh[l]} for the low nibbles and bit {@code 2c + 1} for the high ones, {@code qh} read as
     * byte pairs {@code 2p, 2p + 1} like {@code qs}. Centred to {@code q - 16}, an accumulator holds
     * half a sub-block, so each is read out at the middle and at the end of the chunk; the offset
     * is {@code 16 d sc - dmin m}. Loops nest as in {@code Q4_KMatrix.gemv}, for the same reason:
     * with the layout of {@link #qsUnit} as well, a Llama-3.2-1B Q5_K_M file decoded 24 instead of
     * 14 tokens/s on two cores (medians of four alternating runs).
     */
    @Override
    void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        float dUnit = this.dUnit;
        float minUnit = this.minUnit;
        for (int g = r0 / G; g * G < r1; g++) {
            for (int t = 0; t < a.count; t++) {
                long o = g * groupBytes;
                int[] xp = a.pairs;
                int xk = t * (cols / 2);
                int xb = t * (cols / 32);
                FloatVector acc = FloatVector.zero(F);
                IntVector round = IntVector.broadcast(I, ROUND);
                IntVector zero = IntVector.zero(I);
                for (int sb = 0, blocks = cols / 256; sb < blocks; sb++, o += groupBlockBytes) {
                    IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
                    FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(dUnit);
                    IntVector dminBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o + 2 * G, LE).convertShape(S2I, I, 0);
                    FloatVector dmin = ((FloatVector) dminBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(minUnit);
                    for (int c = 0; c < 4; c++) {
                        IntVector sLo = round;
                        IntVector sHi = round;
                        IntVector halfLo = zero;
                        IntVector halfHi = zero;
                        int x = xk + sb * 128 + c * 32;
                        for (int p = 0; p < 16; p++) {
                            IntVector v = ((IntVector) ByteVector.fromMemorySegment(PAIR_BYTES, packed, o + 2 * G * qsUnit(16 * c + p), LE)
                                    .convertShape(ZERO_EXTEND_B2S, PAIR_SHORTS, 0).reinterpretShape(I, 0));
                            IntVector h = ((IntVector) ByteVector.fromMemorySegment(PAIR_BYTES, packed, o + 2 * G * (8 + 2 * p), LE)
                                    .convertShape(ZERO_EXTEND_B2S, PAIR_SHORTS, 0).reinterpretShape(I, 0)).lanewise(LSHR, 2 * c);
                            sLo = v.and(0x000F000F).or(h.lanewise(LSHL, 4).and(0x00100010)).sub(0x00100010).mul(xp[x + p]).add(sLo);
                            sHi = v.lanewise(LSHR, 4).and(0x000F000F).or(h.lanewise(LSHL, 3).and(0x00100010)).sub(0x00100010).mul(xp[x + 16 + p]).add(sHi);
                            if (p == 7) {
                                halfLo = sLo.lanewise(ASHR, 16);
                                halfHi = sHi.lanewise(ASHR, 16);
                                sLo = round;
                                sHi = round;
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
                        FloatVector dLo = d.mul((FloatVector) scBits.and(15).or(scHigh.and(0x30)).convertShape(I2F, F, 0));
                        FloatVector mLo = dmin.mul((FloatVector) mnBits.and(15).or(mnHigh.and(0x30)).convertShape(I2F, F, 0));
                        IntVector qLo = sLo.lanewise(ASHR, 16).add(halfLo);
                        acc = ((FloatVector) qLo.convertShape(I2F, F, 0)).fma(dLo.mul(a.scales[j]), acc);
                        acc = dLo.mul(16f).sub(mLo).fma(FloatVector.broadcast(F, a.sums[2 * j] + a.sums[2 * j + 1]), acc);
                        FloatVector dHi = d.mul((FloatVector) scBits.lanewise(LSHR, 8).and(15).or(scHigh.lanewise(LSHR, 8).and(0x30)).convertShape(I2F, F, 0));
                        FloatVector mHi = dmin.mul((FloatVector) mnBits.lanewise(LSHR, 8).and(15).or(mnHigh.lanewise(LSHR, 8).and(0x30)).convertShape(I2F, F, 0));
                        IntVector qHi = sHi.lanewise(ASHR, 16).add(halfHi);
                        acc = ((FloatVector) qHi.convertShape(I2F, F, 0)).fma(dHi.mul(a.scales[j + 1]), acc);
                        acc = dHi.mul(16f).sub(mHi).fma(FloatVector.broadcast(F, a.sums[2 * j + 2] + a.sums[2 * j + 3]), acc);
                    }
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
            for (int step = 0; step < 64; step++) {
                int c = step >> 4;
                IntVector v = ((IntVector) ByteVector.fromMemorySegment(PAIR_BYTES, packed, o + 2 * G * qsUnit(step), LE)
                        .convertShape(ZERO_EXTEND_B2S, PAIR_SHORTS, 0).reinterpretShape(I, 0));
                IntVector h = ((IntVector) ByteVector.fromMemorySegment(PAIR_BYTES, packed, o + 2 * G * (8 + 2 * (step & 15)), LE)
                        .convertShape(ZERO_EXTEND_B2S, PAIR_SHORTS, 0).reinterpretShape(I, 0)).lanewise(LSHR, 2 * c);
                int k = sb * 128 + c * 32 + (step & 15);
                v.and(0x000F000F).or(h.lanewise(LSHL, 4).and(0x00100010)).sub(0x00100010).intoArray(w, k * G);
                v.lanewise(LSHR, 4).and(0x000F000F).or(h.lanewise(LSHL, 3).and(0x00100010)).sub(0x00100010).intoArray(w, (k + 16) * G);
            }
            for (int r = 0; r < G; r++) {
                float d = Float.float16ToFloat(packed.get(SHORT_LE, o + 2L * r)) * dScale;
                float dmin = Float.float16ToFloat(packed.get(SHORT_LE, o + 2L * (G + r))) * minScale;
                int e = packed.get(INT_LE, o + 4L * (3 * G + r));
                long sc = PackedScales.scales(packed.get(INT_LE, o + 4L * (G + r)), e);
                long mn = PackedScales.mins(packed.get(INT_LE, o + 4L * (2 * G + r)), e);
                for (int j = 0; j < 8; j++, sc >>>= 8, mn >>>= 8) {
                    float ds = d * (int) (sc & 0xFF);
                    float off = 16 * ds - dmin * (int) (mn & 0xFF);
                    // Two units of 8 pairs per sub-block.
                    for (int u = 2 * (sb * 8 + j); u < 2 * (sb * 8 + j) + 2; u++) {
                        scale[u * G + r] = ds;
                        offset[u * G + r] = off;
                    }
                }
            }
        }
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
                    // Bits 2c and 2c+1 of each qh byte, moved to bit 4 by int-lane shifts (x86 has
                    // no byte shifts); the mask drops what crossed from neighbouring bytes.
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, data, block + QH + j, LE).reinterpretShape(B_INTS, 0)
                            .lanewise(LSHR, 2 * c);
                    ByteVector lo = q.and((byte) 0x0F).or(((ByteVector) qh.lanewise(LSHL, 4).reinterpretShape(B, 0)).and((byte) 0x10));
                    ByteVector hi = ((ByteVector) ((IntVector) q.reinterpretShape(B_INTS, 0)).lanewise(LSHR, 4).reinterpretShape(B, 0)).and((byte) 0x0F)
                            .or(((ByteVector) qh.lanewise(LSHL, 3).reinterpretShape(B, 0)).and((byte) 0x10));
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
