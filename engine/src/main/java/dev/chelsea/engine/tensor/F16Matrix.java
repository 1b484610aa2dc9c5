package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static dev.chelsea.engine.tensor.Simd.loadF16;

/** F16 (IEEE half precision) weights, converted exactly. */
final class F16Matrix extends WeightMatrix {

    F16Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F16, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = cols - 2 * F_LANES; i <= upper; i += 2 * F_LANES) {
            acc0 = loadF16(data, base + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = loadF16(data, base + 2L * (i + F_LANES)).fma(FloatVector.fromArray(F, x, xOffset + i + F_LANES), acc1);
        }
        for (int upper = cols - F_LANES; i <= upper; i += F_LANES) {
            acc0 = loadF16(data, base + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            sum += Float.float16ToFloat(data.get(SHORT_LE, base + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long base = row * rowBytes + 2L * col;
        int i = 0;
        for (int upper = len - F_LANES; i <= upper; i += F_LANES) {
            loadF16(data, base + 2L * i).intoArray(dst, dstOffset + i);
        }
        for (; i < len; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(data.get(SHORT_LE, base + 2L * i));
        }
    }
}
