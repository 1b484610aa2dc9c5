package dev.chelsea.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Attention#attendGroup} over keys and values stored as IEEE half floats (their bits in
 * {@code short}s): half the bytes that decode attention reads at long context. Slots are widened
 * to floats a tile at a time into a buffer that stays in the L1 cache, then scored and summed as
 * in the float kernel; each key and value is still read from memory once for the whole group.
 *
 * <p>Widening {@code F} halves at once: the magnitude's bits shifted into a float's
 * ({@code (h & 0x7FFF) << 13}) are the value times {@code 2^-112} exactly, subnormal halves
 * included; a multiply by {@code 2^112} and the sign bit finish it. Infinities and NaN would come
 * out finite, so {@link #narrow} never stores them (it saturates at the half range).
 */
public final class HalfAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * 16));
    /** Slots widened at a time: 64 slots of 64 floats, keys or values, are 16 KiB. */
    public static final int TILE = 64;
    private static final float HALF_MAX = 65504f;

    private HalfAttention() {
    }

    /**
     * As {@link Attention#attendGroup}, with {@code keys} and {@code values} in half floats and
     * {@code tile} a scratch of at least {@code TILE * headDim} floats.
     */
    public static void attendGroup(float[] q, int qOff, int group, short[] keys, short[] values, float[] bias,
                                   int slots, int headDim, float scale, float[] scores, float[] tile, float[] out, int outOff) {
        for (int t0 = 0; t0 < slots; t0 += TILE) {
            int n = Math.min(TILE, slots - t0);
            widen(keys, t0 * headDim, tile, 0, n * headDim);
            for (int j = 0; j < n; j++) {
                for (int g = 0; g < group; g++) {
                    scores[g * slots + t0 + j] = Attention.dot(q, qOff + g * headDim, tile, j * headDim, headDim) * scale;
                }
            }
        }
        for (int g = 0; g < group; g++) {
            if (bias != null) {
                Attention.axpy(1f, bias, 0, scores, g * slots, slots);
            }
            Attention.softmax(scores, g * slots, slots);
        }
        java.util.Arrays.fill(out, outOff, outOff + group * headDim, 0f);
        for (int t0 = 0; t0 < slots; t0 += TILE) {
            int n = Math.min(TILE, slots - t0);
            widen(values, t0 * headDim, tile, 0, n * headDim);
            for (int j = 0; j < n; j++) {
                for (int g = 0; g < group; g++) {
                    Attention.axpy(scores[g * slots + t0 + j], tile, j * headDim, out, outOff + g * headDim, headDim);
                }
            }
        }
    }

    /** Widens {@code n} half floats {@code src[from..]} into {@code dst[to..]}. */
    public static void widen(short[] src, int from, float[] dst, int to, int n) {
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += F.length()) {
            IntVector h = (IntVector) ShortVector.fromArray(H, src, from + i).convertShape(VectorOperators.S2I, I, 0);
            h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).or(h.and(0x80000000)).reinterpretAsFloats()
                    .mul(0x1p112f).intoArray(dst, to + i);
        }
        for (; i < n; i++) {
            dst[to + i] = Float.float16ToFloat(src[from + i]);
        }
    }

    /** Rounds {@code n} floats {@code src[from..]} to half floats in {@code dst[to..]}, saturating at {@code ±65504}. */
    public static void narrow(float[] src, int from, short[] dst, int to, int n) {
        for (int i = 0; i < n; i++) {
            dst[to + i] = Float.floatToFloat16(Math.clamp(src[from + i], -HALF_MAX, HALF_MAX));
        }
    }
}
