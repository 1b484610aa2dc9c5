package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.FLOAT_LE;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.LE;
import static jdk.incubator.vector.VectorOperators.ADD;

/** F32 weights. */
final class F32Matrix extends WeightMatrix {

    F32Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F32, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        // Two accumulators: one FMA chain would wait on its own latency every vector.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = cols - 2 * F_LANES; i <= upper; i += 2 * F_LANES) {
            acc0 = FloatVector.fromMemorySegment(F, data, base + (long) i * Float.BYTES, LE)
                    .fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, data, base + (long) (i + F_LANES) * Float.BYTES, LE)
                    .fma(FloatVector.fromArray(F, x, xOffset + i + F_LANES), acc1);
        }
        for (int upper = cols - F_LANES; i <= upper; i += F_LANES) {
            acc0 = FloatVector.fromMemorySegment(F, data, base + (long) i * Float.BYTES, LE)
                    .fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(ADD);
        for (; i < cols; i++) {
            sum += data.get(FLOAT_LE, base + (long) i * Float.BYTES) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        MemorySegment.copy(data, FLOAT_LE, row * rowBytes + (long) col * Float.BYTES, dst, dstOffset, len);
    }
}
