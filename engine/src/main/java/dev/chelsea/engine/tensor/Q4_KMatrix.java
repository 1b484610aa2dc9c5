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
                    ByteVector hi = ((ByteVector) ((IntVector) q.reinterpretShape(B_INTS, 0)).lanewise(LSHR, 4).reinterpretShape(B, 0)).and((byte) 0x0F);
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

    /** {@code d}, {@code dmin}, the 12 bytes of scales as three ints, then {@code qs} as 64 byte pairs, of the {@link #G} rows. */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        int to = interleaveField(src, rowStride, at, 0, 2, 2, dst, 0);
        to = interleaveField(src, rowStride, at, 2, 2, 2, dst, to);
        to = interleaveField(src, rowStride, at, SCALES, 12, 4, dst, to);
        interleaveField(src, rowStride, at, QS, 128, 2, dst, to);
    }

    /**
     * Pair step {@code k} (0 to 63) of a super-block holds bytes {@code 2k, 2k + 1} of {@code qs}:
     * in chunk {@code c = k / 16}, step {@code p = k % 16}, the low nibbles are values
     * {@code 64c + 2p, +1} of sub-block {@code 2c}, the high nibbles values {@code 64c + 32 + 2p, +1}
     * of sub-block {@code 2c + 1}. A sub-block fits one accumulator: the unsigned nibbles multiply
     * the activations and the accumulator starts at minus {@code 8} times the sub-block's
     * activation sum ({@link QuantizedActivations#blockSums}; sub-blocks are activation blocks),
     * so that its high half ends as {@code sum (q - 8) x} (see {@link Q4_0Matrix#gemv}); this saves
     * two of ten vector operations a step, 4% on one core. At
     * the end of a chunk both are scaled: {@code d sc (q - 8)} times the activations, and
     * {@code 8 d sc - dmin m} times their sum. The 6-bit scales and mins are unpacked lane-wise
     * (as {@link PackedScales} does for one row), with the choice between the low and high
     * sub-blocks made by shift counts and offsets, not by selecting vectors.
     *
     * <p>Loops nest by super-block, chunk and step: the 16 steps of a chunk are a counted loop with
     * offsets linear in the step, which C2 unrolls four times with its bounds checks hoisted. One
     * flat loop over all steps, with the chunk's end as a branch, spent as many scalar instructions
     * on indices and checks as vector ones: on two cores of an AMD EPYC a 16384 x 2048 matrix went
     * from 30 to 42 GB/s ({@code MatMulBenchmarkMain}, medians of alternating runs, 2026-12-05).
     * Q4_0's blocks have 4 steps, too few for C2's loop set-up to pay off: that kernel stays flat.
     * Q4_0's words of nibbles ({@link #interleaveNibbleWords}) made this kernel 2-8% slower: its
     * chunk loop then has 8 steps, and a flat loop over a super-block's 32 words compiled to half
     * the speed from memory (one thread, alternating bursts in one JVM, 2026-12-05).
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
                for (int sb = 0, blocks = cols / 256; sb < blocks; sb++, o += groupBlockBytes) {
                    IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
                    FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(dUnit);
                    IntVector dminBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o + 2 * G, LE).convertShape(S2I, I, 0);
                    FloatVector dmin = ((FloatVector) dminBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(minUnit);
                    for (int c = 0; c < 4; c++) {
                        int j = xb + 8 * sb + 2 * c;
                        IntVector sLo = IntVector.broadcast(I, ROUND - (a.blockSums[j] << 19));
                        IntVector sHi = IntVector.broadcast(I, ROUND - (a.blockSums[j + 1] << 19));
                        long q = o + 2 * G * (8 + 16 * c);
                        int x = xk + sb * 128 + c * 32;
                        for (int p = 0; p < 16; p++) {
                            IntVector v = ((IntVector) ByteVector.fromMemorySegment(PAIR_BYTES, packed, q + 2 * G * p, LE)
                                    .convertShape(ZERO_EXTEND_B2S, PAIR_SHORTS, 0).reinterpretShape(I, 0));
                            sLo = v.and(0x000F000F).mul(xp[x + p]).add(sLo);
                            sHi = v.lanewise(LSHR, 4).and(0x000F000F).mul(xp[x + 16 + p]).add(sHi);
                        }
                        int half = 16 * (c & 1);
                        boolean top = c >= 2;
                        int highShift = top ? half + 2 : half;
                        IntVector scBits = IntVector.fromMemorySegment(I, packed, o + (top ? 12 : 4) * G, LE).lanewise(LSHR, half);
                        IntVector scHigh = IntVector.fromMemorySegment(I, packed, o + 4 * G, LE).lanewise(LSHR, highShift);
                        IntVector mnBits = IntVector.fromMemorySegment(I, packed, o + (top ? 12 : 8) * G, LE).lanewise(LSHR, top ? half + 4 : half);
                        IntVector mnHigh = IntVector.fromMemorySegment(I, packed, o + 8 * G, LE).lanewise(LSHR, highShift);
                        FloatVector dLo = d.mul((FloatVector) scBits.and(15).or(scHigh.and(0x30)).convertShape(I2F, F, 0));
                        FloatVector mLo = dmin.mul((FloatVector) mnBits.and(15).or(mnHigh.and(0x30)).convertShape(I2F, F, 0));
                        acc = ((FloatVector) sLo.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(dLo.mul(a.scales[j]), acc);
                        acc = dLo.mul(8f).sub(mLo).fma(FloatVector.broadcast(F, a.sums[2 * j] + a.sums[2 * j + 1]), acc);
                        FloatVector dHi = d.mul((FloatVector) scBits.lanewise(LSHR, 8).and(15).or(scHigh.lanewise(LSHR, 8).and(0x30)).convertShape(I2F, F, 0));
                        FloatVector mHi = dmin.mul((FloatVector) mnBits.lanewise(LSHR, 8).and(15).or(mnHigh.lanewise(LSHR, 8).and(0x30)).convertShape(I2F, F, 0));
                        acc = ((FloatVector) sHi.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(dHi.mul(a.scales[j + 1]), acc);
                        acc = dHi.mul(8f).sub(mHi).fma(FloatVector.broadcast(F, a.sums[2 * j + 2] + a.sums[2 * j + 3]), acc);
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
                IntVector v = ((IntVector) ByteVector.fromMemorySegment(PAIR_BYTES, packed, o + 2 * G * (8 + step), LE)
                        .convertShape(ZERO_EXTEND_B2S, PAIR_SHORTS, 0).reinterpretShape(I, 0));
                int k = sb * 128 + (step >> 4) * 32 + (step & 15);
                v.and(0x000F000F).sub(0x00080008).intoArray(w, k * G);
                v.lanewise(LSHR, 4).and(0x000F000F).sub(0x00080008).intoArray(w, (k + 16) * G);
            }
            for (int r = 0; r < G; r++) {
                float d = Float.float16ToFloat(packed.get(SHORT_LE, o + 2L * r)) * dScale;
                float dmin = Float.float16ToFloat(packed.get(SHORT_LE, o + 2L * (G + r))) * minScale;
                int e = packed.get(INT_LE, o + 4L * (3 * G + r));
                long sc = PackedScales.scales(packed.get(INT_LE, o + 4L * (G + r)), e);
                long mn = PackedScales.mins(packed.get(INT_LE, o + 4L * (2 * G + r)), e);
                for (int j = 0; j < 8; j++, sc >>>= 8, mn >>>= 8) {
                    float ds = d * (int) (sc & 0xFF);
                    scale[(sb * 8 + j) * G + r] = ds;
                    offset[(sb * 8 + j) * G + r] = 8 * ds - dmin * (int) (mn & 0xFF);
                }
            }
        }
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
                    ByteVector hi = ((ByteVector) ((IntVector) q.reinterpretShape(B_INTS, 0)).lanewise(LSHR, 4).reinterpretShape(B, 0)).and((byte) 0x0F);
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
