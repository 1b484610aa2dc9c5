package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.B;
import static dev.chelsea.engine.tensor.Simd.BYTE_PARTS;
import static dev.chelsea.engine.tensor.Simd.B_LANES;
import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2F;

/** Q8_0: blocks of 32 values, {@code block_q8_0 { fp16 d; int8 qs[32]; }}, value = d * q. */
final class Q8_0Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 34;

    Q8_0Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q8_0, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            // Sum q * x over the block in registers, then scale once by d.
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wQ = (FloatVector) q.convertShape(B2F, F, p);
                    sum = wQ.fma(FloatVector.fromArray(F, x, xOffset + i + j + p * F_LANES), sum);
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
            for (int j = 0; j < BLOCK; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wQ = (FloatVector) q.convertShape(B2F, F, p);
                    wQ.mul(d).intoArray(dst, dstOffset + i + j + p * F_LANES);
                }
            }
        }
    }
}
