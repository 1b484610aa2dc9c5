package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.H;
import static dev.chelsea.engine.tensor.Simd.I;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * BF16 weights: each value is the high 16 bits of an F32. (The casts to {@link IntVector} matter:
 * through the {@code Vector<Integer>} interface C2 cannot bind the shift and boxes the vectors.)
 */
final class BF16Matrix extends WeightMatrix {

    BF16Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.BF16, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = cols - 2 * F_LANES; i <= upper; i += 2 * F_LANES) {
            FloatVector w0 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(H, data, base + 2L * i, LE)
                    .convertShape(S2I, I, 0)).lanewise(LSHL, 16).reinterpretShape(F, 0));
            FloatVector w1 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(H, data, base + 2L * (i + F_LANES), LE)
                    .convertShape(S2I, I, 0)).lanewise(LSHL, 16).reinterpretShape(F, 0));
            acc0 = w0.fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = w1.fma(FloatVector.fromArray(F, x, xOffset + i + F_LANES), acc1);
        }
        for (int upper = cols - F_LANES; i <= upper; i += F_LANES) {
            FloatVector w0 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(H, data, base + 2L * i, LE)
                    .convertShape(S2I, I, 0)).lanewise(LSHL, 16).reinterpretShape(F, 0));
            acc0 = w0.fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(ADD);
        for (; i < cols; i++) {
            sum += Float.intBitsToFloat(data.get(SHORT_LE, base + 2L * i) << 16) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long base = row * rowBytes + 2L * col;
        int i = 0;
        for (int upper = len - F_LANES; i <= upper; i += F_LANES) {
            ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(H, data, base + 2L * i, LE)
                    .convertShape(S2I, I, 0)).lanewise(LSHL, 16).reinterpretShape(F, 0))
                    .intoArray(dst, dstOffset + i);
        }
        for (; i < len; i++) {
            dst[dstOffset + i] = Float.intBitsToFloat(data.get(SHORT_LE, base + 2L * i) << 16);
        }
    }
}
