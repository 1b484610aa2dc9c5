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
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Q4_0: blocks of 32 values, {@code block_q4_0 { fp16 d; uint8 qs[16]; }}. Byte {@code j} holds value
 * {@code j} in its low nibble and value {@code j + 16} in its high nibble; value = d * (q - 8).
 */
final class Q4_0Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 18;

    Q4_0Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_0, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, LE);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.reinterpretAsInts().lanewise(LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).sub((byte) 8);
                int xo = xOffset + i + j;
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                    sum = wLo.fma(FloatVector.fromArray(F, x, xo + p * F_LANES), sum);
                    FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                    sum = wHi.fma(FloatVector.fromArray(F, x, xo + BLOCK / 2 + p * F_LANES), sum);
                }
            }
            acc = sum.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block))), acc);
        }
        return acc.reduceLanes(ADD);
    }

    /**
     * Unlike {@link #dot}, the nibbles are widened to ints before they are split (fewer and cheaper
     * instructions than splitting bytes), and the {@code -8} offset is applied once per block, as
     * {@code sum(q * x) - 8 * sum(x)}, with the block sum of {@code x} shared by the four rows.
     */
    @Override
    void dot4(int row, int stride, float[] x, int xOffset, float[] out, int outOffset) {
        long step = stride * rowBytes;
        long b0 = row * rowBytes, b1 = b0 + step, b2 = b1 + step, b3 = b2 + step;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < cols; i += BLOCK, b0 += BLOCK_BYTES, b1 += BLOCK_BYTES, b2 += BLOCK_BYTES, b3 += BLOCK_BYTES) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, xSum = s0;
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q0 = ByteVector.fromMemorySegment(B, data, b0 + 2 + j, LE);
                ByteVector q1 = ByteVector.fromMemorySegment(B, data, b1 + 2 + j, LE);
                ByteVector q2 = ByteVector.fromMemorySegment(B, data, b2 + 2 + j, LE);
                ByteVector q3 = ByteVector.fromMemorySegment(B, data, b3 + 2 + j, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    int xo = xOffset + i + j + p * F_LANES;
                    FloatVector xLo = FloatVector.fromArray(F, x, xo);
                    FloatVector xHi = FloatVector.fromArray(F, x, xo + BLOCK / 2);
                    xSum = xSum.add(xLo).add(xHi);
                    IntVector v0 = (IntVector) q0.convertShape(B2I, I, p);
                    IntVector v1 = (IntVector) q1.convertShape(B2I, I, p);
                    IntVector v2 = (IntVector) q2.convertShape(B2I, I, p);
                    IntVector v3 = (IntVector) q3.convertShape(B2I, I, p);
                    s0 = ((FloatVector) v0.and(0x0F).convertShape(I2F, F, 0)).fma(xLo, s0);
                    s1 = ((FloatVector) v1.and(0x0F).convertShape(I2F, F, 0)).fma(xLo, s1);
                    s2 = ((FloatVector) v2.and(0x0F).convertShape(I2F, F, 0)).fma(xLo, s2);
                    s3 = ((FloatVector) v3.and(0x0F).convertShape(I2F, F, 0)).fma(xLo, s3);
                    s0 = ((FloatVector) v0.lanewise(LSHR, 4).and(0x0F).convertShape(I2F, F, 0)).fma(xHi, s0);
                    s1 = ((FloatVector) v1.lanewise(LSHR, 4).and(0x0F).convertShape(I2F, F, 0)).fma(xHi, s1);
                    s2 = ((FloatVector) v2.lanewise(LSHR, 4).and(0x0F).convertShape(I2F, F, 0)).fma(xHi, s2);
                    s3 = ((FloatVector) v3.lanewise(LSHR, 4).and(0x0F).convertShape(I2F, F, 0)).fma(xHi, s3);
                }
            }
            FloatVector offset = xSum.mul(-8f);
            a0 = s0.add(offset).fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, b0))), a0);
            a1 = s1.add(offset).fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, b1))), a1);
            a2 = s2.add(offset).fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, b2))), a2);
            a3 = s3.add(offset).fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, b3))), a3);
        }
        out[outOffset + row] = a0.reduceLanes(ADD);
        out[outOffset + row + stride] = a1.reduceLanes(ADD);
        out[outOffset + row + 2 * stride] = a2.reduceLanes(ADD);
        out[outOffset + row + 3 * stride] = a3.reduceLanes(ADD);
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block)));
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, LE);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.reinterpretAsInts().lanewise(LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).sub((byte) 8);
                int o = dstOffset + i + j;
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                    wLo.mul(d).intoArray(dst, o + p * F_LANES);
                    FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                    wHi.mul(d).intoArray(dst, o + BLOCK / 2 + p * F_LANES);
                }
            }
        }
    }
}
