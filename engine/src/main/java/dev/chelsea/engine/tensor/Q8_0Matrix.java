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

    /**
     * The per-row {@link #dot} of Q8_0 is cheap (bytes widened to floats, no unpacking): whole
     * Llama-3.2-1B Q8_0 prefills (2 threads, both paths alternating in one JVM, medians of 7, AMD
     * EPYC, 2026-12-05) took 151 / 219 / 335 ms for 4 / 8 / 12 tokens that way against 232 / 239 /
     * 212 with packed activations.
     */
    @Override
    public int batchFrom() {
        return batchFromLanes(10);
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
    void dot4(int row, int stride, float[] x, int xOffset, float[] out, int outOffset) {
        long step = stride * rowBytes;
        long b0 = row * rowBytes, b1 = b0 + step, b2 = b1 + step, b3 = b2 + step;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < cols; i += BLOCK, b0 += BLOCK_BYTES, b1 += BLOCK_BYTES, b2 += BLOCK_BYTES, b3 += BLOCK_BYTES) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int j = 0; j < BLOCK; j += B_LANES) {
                ByteVector q0 = ByteVector.fromMemorySegment(B, data, b0 + 2 + j, LE);
                ByteVector q1 = ByteVector.fromMemorySegment(B, data, b1 + 2 + j, LE);
                ByteVector q2 = ByteVector.fromMemorySegment(B, data, b2 + 2 + j, LE);
                ByteVector q3 = ByteVector.fromMemorySegment(B, data, b3 + 2 + j, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector xv = FloatVector.fromArray(F, x, xOffset + i + j + p * F_LANES);
                    s0 = ((FloatVector) q0.convertShape(B2F, F, p)).fma(xv, s0);
                    s1 = ((FloatVector) q1.convertShape(B2F, F, p)).fma(xv, s1);
                    s2 = ((FloatVector) q2.convertShape(B2F, F, p)).fma(xv, s2);
                    s3 = ((FloatVector) q3.convertShape(B2F, F, p)).fma(xv, s3);
                }
            }
            a0 = s0.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, b0))), a0);
            a1 = s1.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, b1))), a1);
            a2 = s2.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, b2))), a2);
            a3 = s3.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, b3))), a3);
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
