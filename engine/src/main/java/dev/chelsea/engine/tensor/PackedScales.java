package dev.chelsea.engine.tensor;

/**
 * The twelve bytes of 6-bit scales and mins shared by Q4_K and Q5_K (ggml's
 * {@code get_scale_min_k4}), read as three little-endian ints {@code a, b, c} (bytes 0-3, 4-7,
 * 8-11). Sub-blocks 0..3 keep scale and min in the low six bits of bytes {@code j} and
 * {@code j + 4}; sub-blocks 4..7 keep their low four bits in the nibbles of byte {@code j + 4} and
 * their top two bits in the top bits of bytes {@code j - 4} (scale) and {@code j} (min). Unpacked
 * here all at once with lane-wise int arithmetic, byte {@code j} of the result belonging to
 * sub-block {@code j}.
 */
final class PackedScales {
    private PackedScales() {
    }

    /** The eight 6-bit scales, one per byte. */
    static long scales(int a, int c) {
        return (a & 0x3F3F3F3FL) | (long) ((c & 0x0F0F0F0F) | ((a >>> 2) & 0x30303030)) << 32;
    }

    /** The eight 6-bit mins, one per byte. */
    static long mins(int b, int c) {
        return (b & 0x3F3F3F3FL) | (long) (((c >>> 4) & 0x0F0F0F0F) | ((b >>> 2) & 0x30303030)) << 32;
    }
}
