package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.B;
import static dev.chelsea.engine.tensor.Simd.BYTE_PARTS;
import static dev.chelsea.engine.tensor.Simd.B_LANES;
import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.I;
import static dev.chelsea.engine.tensor.Simd.INT_LE;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Q4_K: super-blocks of 256 values,
 * {@code block_q4_K { fp16 d; fp16 dmin; uint8 scales[12]; uint8 qs[128]; }}. Each 64 values share
 * 32 bytes of qs: the low nibbles are sub-block {@code 2c}, the high nibbles sub-block {@code 2c + 1};
 * sub-block {@code j} has value = d * scale(j) * q - dmin * min(j) (see {@link PackedScales}).
 */
final class Q4_KMatrix extends WeightMatrix {
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
                    ByteVector hi = q.reinterpretAsInts().lanewise(LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
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
     * Four rows as two pairs (see {@link WeightMatrix#dot4}): one loop over four rows of this
     * format is too large for C2 to compile without boxing its vectors.
     */
    @Override
    void dot4(int row, int stride, float[] x, int xOffset, float[] out, int outOffset) {
        dot2(row, row + stride, x, xOffset, out, outOffset);
        dot2(row + 2 * stride, row + 3 * stride, x, xOffset, out, outOffset);
    }

    /**
     * Rows {@code r0} and {@code r1} at once. The mins are applied per sub-block to the sub-block's
     * sum of {@code x}, which both rows share, instead of to every value; the nibbles are widened
     * to ints before they are split, as in {@code Q4_0Matrix.dot4}.
     */
    private void dot2(int r0, int r1, float[] x, int xOffset, float[] out, int outOffset) {
        long b0 = r0 * rowBytes, b1 = r1 * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        FloatVector m0 = a0, m1 = a0;
        for (int i = 0; i < cols; i += BLOCK, b0 += BLOCK_BYTES, b1 += BLOCK_BYTES) {
            float d0 = Float.float16ToFloat(data.get(SHORT_LE, b0));
            float n0 = Float.float16ToFloat(data.get(SHORT_LE, b0 + 2));
            int e0 = data.get(INT_LE, b0 + SCALES + 8);
            long sc0 = PackedScales.scales(data.get(INT_LE, b0 + SCALES), e0);
            long mn0 = PackedScales.mins(data.get(INT_LE, b0 + SCALES + 4), e0);
            float d1 = Float.float16ToFloat(data.get(SHORT_LE, b1));
            float n1 = Float.float16ToFloat(data.get(SHORT_LE, b1 + 2));
            int e1 = data.get(INT_LE, b1 + SCALES + 8);
            long sc1 = PackedScales.scales(data.get(INT_LE, b1 + SCALES), e1);
            long mn1 = PackedScales.mins(data.get(INT_LE, b1 + SCALES + 4), e1);
            for (int c = 0; c < 4; c++) {
                FloatVector lo0 = FloatVector.zero(F), lo1 = lo0;
                FloatVector hi0 = lo0, hi1 = lo0;
                FloatVector xsLo = lo0, xsHi = lo0;
                for (int j = 0; j < 32; j += B_LANES) {
                    ByteVector q0 = ByteVector.fromMemorySegment(B, data, b0 + QS + 32 * c + j, LE);
                    ByteVector q1 = ByteVector.fromMemorySegment(B, data, b1 + QS + 32 * c + j, LE);
                    for (int p = 0; p < BYTE_PARTS; p++) {
                        int k = xOffset + i + 64 * c + j + p * F_LANES;
                        FloatVector xLo = FloatVector.fromArray(F, x, k);
                        FloatVector xHi = FloatVector.fromArray(F, x, k + 32);
                        xsLo = xsLo.add(xLo);
                        xsHi = xsHi.add(xHi);
                        IntVector v0 = (IntVector) q0.convertShape(B2I, I, p);
                        IntVector v1 = (IntVector) q1.convertShape(B2I, I, p);
                        lo0 = ((FloatVector) v0.and(0x0F).convertShape(I2F, F, 0)).fma(xLo, lo0);
                        lo1 = ((FloatVector) v1.and(0x0F).convertShape(I2F, F, 0)).fma(xLo, lo1);
                        hi0 = ((FloatVector) v0.lanewise(LSHR, 4).and(0x0F).convertShape(I2F, F, 0)).fma(xHi, hi0);
                        hi1 = ((FloatVector) v1.lanewise(LSHR, 4).and(0x0F).convertShape(I2F, F, 0)).fma(xHi, hi1);
                    }
                }
                int lo = 16 * c, hi = lo + 8;
                a0 = lo0.fma(FloatVector.broadcast(F, d0 * (int) ((sc0 >>> lo) & 0xFF)), a0);
                a0 = hi0.fma(FloatVector.broadcast(F, d0 * (int) ((sc0 >>> hi) & 0xFF)), a0);
                m0 = xsLo.fma(FloatVector.broadcast(F, n0 * (int) ((mn0 >>> lo) & 0xFF)), m0);
                m0 = xsHi.fma(FloatVector.broadcast(F, n0 * (int) ((mn0 >>> hi) & 0xFF)), m0);
                a1 = lo1.fma(FloatVector.broadcast(F, d1 * (int) ((sc1 >>> lo) & 0xFF)), a1);
                a1 = hi1.fma(FloatVector.broadcast(F, d1 * (int) ((sc1 >>> hi) & 0xFF)), a1);
                m1 = xsLo.fma(FloatVector.broadcast(F, n1 * (int) ((mn1 >>> lo) & 0xFF)), m1);
                m1 = xsHi.fma(FloatVector.broadcast(F, n1 * (int) ((mn1 >>> hi) & 0xFF)), m1);
            }
        }
        out[outOffset + r0] = a0.sub(m0).reduceLanes(ADD);
        out[outOffset + r1] = a1.sub(m1).reduceLanes(ADD);
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
                    ByteVector hi = q.reinterpretAsInts().lanewise(LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
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
