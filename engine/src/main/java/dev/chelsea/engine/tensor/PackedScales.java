package dev.chelsea.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.H;
import static dev.chelsea.engine.tensor.Simd.I;
import static dev.chelsea.engine.tensor.Simd.LE;
import static jdk.incubator.vector.VectorOperators.AND;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.OR;
import static jdk.incubator.vector.VectorOperators.S2I;

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
    private static final int G = InterleavedMatrix.G;

    private PackedScales() {
    }

    /**
     * For the batch panel of a Q4_K or Q5_K matrix ({@link InterleavedMatrix#fillPanel}): the
     * factors of the 8 sub-blocks of the interleaved super-block at {@code o} ({@code d},
     * {@code dmin} as {@code G} halves each, then the three ints {@code a, b, c} of {@code G}
     * rows), lane-wise for the group's rows: {@code d sc} into {@code scale} and
     * {@code centre d sc - dmin m} into {@code offset}, at units {@code u0 + unitsPerSub j} to
     * {@code + unitsPerSub - 1} for sub-block {@code j}. The same arithmetic as {@link #scales}
     * and {@link #mins} row by row (same results to the bit), which took about two thirds of the
     * operations of filling a Q4_K panel (counted); lane-wise the scales take a tenth as many. Batch
     * products of 28 and 48 vectors became 7-8% faster for Q4_K and 15-19% for Q5_K on trained-like
     * weights (docs/performance.md, sixth session).
     */
    static void fillPanelScales(MemorySegment packed, long o, float dUnit, float minUnit, float centre, int unitsPerSub, int u0,
                                float[] scale, float[] offset) {
        IntVector m15 = IntVector.broadcast(I, 15);
        IntVector m30 = IntVector.broadcast(I, 0x30);
        IntVector halfBits = IntVector.broadcast(I, 0x8FFFE000);
        IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
        FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(dUnit);
        IntVector dminBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o + 2 * G, LE).convertShape(S2I, I, 0);
        FloatVector dmin = ((FloatVector) dminBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(minUnit);
        IntVector a = IntVector.fromMemorySegment(I, packed, o + 4 * G, LE);
        IntVector b = IntVector.fromMemorySegment(I, packed, o + 8 * G, LE);
        IntVector c = IntVector.fromMemorySegment(I, packed, o + 12 * G, LE);
        for (int j = 0; j < 8; j++) {
            // Sub-blocks 0..3: the low six bits of byte j of a (scales) and b (mins); 4..7: the
            // nibbles of byte j - 4 of c and the top two bits of byte j - 4 of a and b.
            int shift = 8 * (j & 3);
            boolean top = j >= 4;
            IntVector sc = (top ? c : a).lanewise(LSHR, shift).lanewise(AND, m15)
                    .lanewise(OR, a.lanewise(LSHR, top ? shift + 2 : shift).lanewise(AND, m30));
            IntVector mn = (top ? c : b).lanewise(LSHR, top ? shift + 4 : shift).lanewise(AND, m15)
                    .lanewise(OR, b.lanewise(LSHR, top ? shift + 2 : shift).lanewise(AND, m30));
            FloatVector ds = d.mul((FloatVector) sc.convertShape(I2F, F, 0));
            FloatVector off = ds.mul(centre).sub(dmin.mul((FloatVector) mn.convertShape(I2F, F, 0)));
            for (int u = u0 + unitsPerSub * j; u < u0 + unitsPerSub * (j + 1); u++) {
                ds.intoArray(scale, u * G);
                off.intoArray(offset, u * G);
            }
        }
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
