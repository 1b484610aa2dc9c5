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
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * F16 (IEEE half precision) weights, converted exactly, subnormals, infinities and NaN included.
 *
 * <p>The Vector API has no half-to-float conversion, so the bits are rebuilt on int lanes: the
 * exponent is rebiased (15 to 127) by adding to the shifted magnitude, and exponent 31 gets a
 * further 128 - 16 to land on 255; exponent 0 is {@code magnitude * 2^-24}, exact in float and never
 * a float subnormal, so no slow subnormal arithmetic happens. The conversion is written out in both
 * kernels (see {@link Simd} on why).
 */
final class F16Matrix extends WeightMatrix {

    F16Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F16, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = cols - F_LANES; i <= upper; i += F_LANES) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, data, base + 2L * i, LE)
                    .convertShape(S2I, I, 0);
            IntVector magnitude = h.and(0x7FFF);
            IntVector bits = magnitude.lanewise(LSHL, 13).add(0x38000000);
            bits = bits.add(0x38000000, magnitude.compare(GE, 0x7C00));
            FloatVector subnormal = ((FloatVector) magnitude.convertShape(I2F, F, 0)).mul(0x1p-24f);
            FloatVector w = ((FloatVector) bits.reinterpretShape(F, 0)).blend(subnormal, magnitude.compare(LT, 0x400).cast(F));
            // h was sign-extended, so its top bit is the sign.
            w = (FloatVector) ((IntVector) w.reinterpretShape(I, 0)).or(h.and(0x80000000)).reinterpretShape(F, 0);
            acc = w.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(ADD);
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
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, data, base + 2L * i, LE)
                    .convertShape(S2I, I, 0);
            IntVector magnitude = h.and(0x7FFF);
            IntVector bits = magnitude.lanewise(LSHL, 13).add(0x38000000);
            bits = bits.add(0x38000000, magnitude.compare(GE, 0x7C00));
            FloatVector subnormal = ((FloatVector) magnitude.convertShape(I2F, F, 0)).mul(0x1p-24f);
            FloatVector w = ((FloatVector) bits.reinterpretShape(F, 0)).blend(subnormal, magnitude.compare(LT, 0x400).cast(F));
            ((FloatVector) ((IntVector) w.reinterpretShape(I, 0)).or(h.and(0x80000000)).reinterpretShape(F, 0)).intoArray(dst, dstOffset + i);
        }
        for (; i < len; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(data.get(SHORT_LE, base + 2L * i));
        }
    }
}
