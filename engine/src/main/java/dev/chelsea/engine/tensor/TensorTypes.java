package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** The storage types with kernels, and the factory that picks the class for each. */
public final class TensorTypes {
    public static final Set<GgmlType> SUPPORTED = Collections.unmodifiableSet(EnumSet.of(
            GgmlType.F32, GgmlType.F16, GgmlType.BF16,
            GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
            GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K));

    private TensorTypes() {
    }

    static WeightMatrix wrap(GgmlType type, MemorySegment data, int rows, int cols, String name) {
        try {
            return switch (type) {
                case F32 -> new F32Matrix(data, rows, cols);
                case F16 -> new F16Matrix(data, rows, cols);
                case BF16 -> new BF16Matrix(data, rows, cols);
                case Q8_0 -> new Q8_0Matrix(data, rows, cols);
                case Q4_0 -> new Q4_0Matrix(data, rows, cols);
                case Q4_1 -> new Q4_1Matrix(data, rows, cols);
                case Q5_0 -> new Q5_0Matrix(data, rows, cols);
                case Q4_K -> new Q4_KMatrix(data, rows, cols);
                case Q5_K -> new Q5_KMatrix(data, rows, cols);
                case Q6_K -> new Q6_KMatrix(data, rows, cols);
                default -> throw new UnsupportedTensorTypeException(name, type);
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
    }
}
