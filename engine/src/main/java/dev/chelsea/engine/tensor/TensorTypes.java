package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;

/** The storage types with kernels, and the factory that picks the class for each. */
public final class TensorTypes {
    public static final Set<GgmlType> SUPPORTED = EnumSet.of(GgmlType.F32);

    private TensorTypes() {
    }

    static WeightMatrix wrap(GgmlType type, MemorySegment data, int rows, int cols, String name) {
        return switch (type) {
            case F32 -> new F32Matrix(data, rows, cols);
            default -> throw new UnsupportedTensorTypeException(name, type);
        };
    }
}
