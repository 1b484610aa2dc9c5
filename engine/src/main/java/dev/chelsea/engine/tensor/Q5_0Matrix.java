package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.B;
import static dev.chelsea.engine.tensor.Simd.BYTE_PARTS;
import static dev.chelsea.engine.tensor.Simd.B_LANES;
import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.INT_LE;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.OR;

/**
 * Q5_0: blocks of 32 values, {@code block_q5_0 { fp16 d; uint8 qh[4]; uint8 qs[16]; }}. The low four
 * bits are nibbles as in Q4_0; bit {@code i} of the little-endian uint32 {@code qh} is the fifth bit
 * of value {@code i}; value = d * (q - 16). The fifth bits become a lane mask directly.
 */
final class Q5_0Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 22;
    private static final long LANE_BITS = (1L << B_LANES) - 1;

    Q5_0Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_0, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            long qh = data.get(INT_LE, block + 2) & 0xFFFFFFFFL;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 6 + j, LE);
                VectorMask<Byte> loHigh = VectorMask.fromLong(B, (qh >>> j) & LANE_BITS);
                VectorMask<Byte> hiHigh = VectorMask.fromLong(B, (qh >>> (j + BLOCK / 2)) & LANE_BITS);
                ByteVector lo = q.and((byte) 0x0F).lanewise(OR, (byte) 0x10, loHigh).sub((byte) 16);
                ByteVector hi = q.reinterpretAsInts().lanewise(LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).lanewise(OR, (byte) 0x10, hiHigh).sub((byte) 16);
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

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block)));
            long qh = data.get(INT_LE, block + 2) & 0xFFFFFFFFL;
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 6 + j, LE);
                VectorMask<Byte> loHigh = VectorMask.fromLong(B, (qh >>> j) & LANE_BITS);
                VectorMask<Byte> hiHigh = VectorMask.fromLong(B, (qh >>> (j + BLOCK / 2)) & LANE_BITS);
                ByteVector lo = q.and((byte) 0x0F).lanewise(OR, (byte) 0x10, loHigh).sub((byte) 16);
                ByteVector hi = q.reinterpretAsInts().lanewise(LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).lanewise(OR, (byte) 0x10, hiHigh).sub((byte) 16);
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
