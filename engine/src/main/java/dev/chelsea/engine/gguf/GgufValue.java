package dev.chelsea.engine.gguf;

/**
 * A metadata value with its GGUF type, kept so that metadata can be written back unchanged.
 * Scalars are boxed ({@code Long} for every integer type, {@code Float}/{@code Double},
 * {@code Boolean}, {@code String}); arrays are primitive arrays ({@code long[]} for every integer
 * type, {@code float[]}, {@code double[]}, {@code boolean[]}, {@code String[]}) or
 * {@code GgufValue[]} for arrays of arrays.
 *
 * @param elementType for arrays, the type of the elements; otherwise null
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public boolean isArray() {
        return type == GgufValueType.ARRAY;
    }

    public int arrayLength() {
        return switch (value) {
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case String[] a -> a.length;
            case GgufValue[] a -> a.length;
            default -> throw new IllegalStateException("not an array: " + type);
        };
    }
}
