package dev.chelsea.engine.tensor;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.INT_LE;

/**
 * The twelve bytes of 6-bit scales and mins shared by Q4_K and Q5_K (ggml's
 * {@code get_scale_min_k4}): sub-blocks 0..3 keep scale and min in the low six bits of bytes
 * {@code j} and {@code j + 4}; sub-blocks 4..7 keep their low four bits in the nibbles of byte
 * {@code j + 4} and their top two bits in the top bits of bytes {@code j - 4} (scale) and {@code j}
 * (min).
 */
final class PackedScales {
    private PackedScales() {
    }

    /** Bytes 0..7 of the scales at {@code offset}, little-endian. */
    static long low(MemorySegment data, long offset) {
        return (data.get(INT_LE, offset) & 0xFFFFFFFFL) | ((long) data.get(INT_LE, offset + 4) << 32);
    }

    /** Bytes 8..11 of the scales at {@code offset}, little-endian. */
    static int high(MemorySegment data, long offset) {
        return data.get(INT_LE, offset + 8);
    }

    private static int at(long low, int high, int i) {
        return i < 8 ? (int) (low >>> (8 * i)) & 0xFF : (high >>> (8 * (i - 8))) & 0xFF;
    }

    /** The 6-bit scale of sub-block {@code j} (0..7). */
    static int scale(long low, int high, int j) {
        if (j < 4) {
            return at(low, high, j) & 63;
        }
        return (at(low, high, j + 4) & 0x0F) | ((at(low, high, j - 4) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j} (0..7). */
    static int min(long low, int high, int j) {
        if (j < 4) {
            return at(low, high, j + 4) & 63;
        }
        return (at(low, high, j + 4) >>> 4) | ((at(low, high, j) >>> 6) << 4);
    }
}
