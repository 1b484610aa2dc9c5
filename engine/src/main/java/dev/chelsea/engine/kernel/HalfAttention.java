package dev.chelsea.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Attention#attendGroup} over keys and values stored as IEEE half floats (their bits in
 * {@code short}s): half the bytes that decode attention reads at long context.
 *
 * <p>Keys are stored in blocks of {@link #KEY_BLOCK} slots, dimension-major within a block
 * ({@link #keyIndex}): one vector then holds one dimension of several slots, and a query's scores
 * for a block are sums of {@code headDim} broadcast multiply-adds, with no horizontal sum per
 * slot (the float kernel's {@code reduceLanes} per slot and query head is most of its time).
 * Values stay slot-major. A block of keys, or a tile of values, is widened to floats in a buffer
 * that stays in the L1 cache; each key and value is read from memory once for the whole group.
 *
 * <p>Widening {@code F} halves at once: the magnitude's bits shifted into a float's
 * ({@code (h & 0x7FFF) << 13}) are the value times {@code 2^-112} exactly, subnormal halves
 * included; a multiply by {@code 2^112} and the sign bit finish it. Infinities and NaN would come
 * out finite, so the stores here never write them (they saturate at the half range).
 */
public final class HalfAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() > 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    /** Slots per key block: a multiple of every float vector length up to 512 bits. */
    public static final int KEY_BLOCK = 16;
    /** Slots of values widened at a time: 64 slots of 64 floats are 16 KiB. */
    public static final int TILE = 64;
    private static final float HALF_MAX = 65504f;

    private HalfAttention() {
    }

    /** Where dimension {@code i} of the key of {@code slot} lies in a head's blocked keys. */
    public static int keyIndex(int slot, int i, int headDim) {
        return (slot / KEY_BLOCK) * KEY_BLOCK * headDim + i * KEY_BLOCK + slot % KEY_BLOCK;
    }

    /** Length of a head's key array for {@code slots} slots (whole blocks). */
    public static int keyLength(int slots, int headDim) {
        return (slots + KEY_BLOCK - 1) / KEY_BLOCK * KEY_BLOCK * headDim;
    }

    /**
     * As {@link Attention#attendGroup}, with blocked half {@code keys}, slot-major half
     * {@code values} and {@code tile} a scratch of at least {@code TILE * headDim} floats.
     */
    public static void attendGroup(float[] q, int qOff, int group, short[] keys, short[] values, float[] bias,
                                   int slots, int headDim, float scale, float[] scores, float[] tile, float[] out, int outOff) {
        int d = headDim;
        for (int b0 = 0; b0 < slots; b0 += KEY_BLOCK) {
            widen(keys, b0 * d, tile, 0, KEY_BLOCK * d);
            for (int g = 0; g < group; g++) {
                int qo = qOff + g * d;
                for (int p = 0; p < KEY_BLOCK && b0 + p < slots; p += L) {
                    // Four chains of multiply-adds, so that their latency overlaps.
                    FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                    int i = 0;
                    for (; i + 3 < d; i += 4) {
                        int t = i * KEY_BLOCK + p;
                        a0 = FloatVector.fromArray(F, tile, t).fma(FloatVector.broadcast(F, q[qo + i]), a0);
                        a1 = FloatVector.fromArray(F, tile, t + KEY_BLOCK).fma(FloatVector.broadcast(F, q[qo + i + 1]), a1);
                        a2 = FloatVector.fromArray(F, tile, t + 2 * KEY_BLOCK).fma(FloatVector.broadcast(F, q[qo + i + 2]), a2);
                        a3 = FloatVector.fromArray(F, tile, t + 3 * KEY_BLOCK).fma(FloatVector.broadcast(F, q[qo + i + 3]), a3);
                    }
                    for (; i < d; i++) {
                        a0 = FloatVector.fromArray(F, tile, i * KEY_BLOCK + p).fma(FloatVector.broadcast(F, q[qo + i]), a0);
                    }
                    FloatVector s = a0.add(a1).add(a2.add(a3)).mul(scale);
                    int at = b0 + p;
                    if (at + L <= slots) {
                        s.intoArray(scores, g * slots + at);
                    } else {
                        s.intoArray(scores, g * slots + at, F.indexInRange(at, slots));
                    }
                }
            }
        }
        for (int g = 0; g < group; g++) {
            if (bias != null) {
                Attention.axpy(1f, bias, 0, scores, g * slots, slots);
            }
            Attention.softmax(scores, g * slots, slots);
        }
        java.util.Arrays.fill(out, outOff, outOff + group * d, 0f);
        for (int t0 = 0; t0 < slots; t0 += TILE) {
            int n = Math.min(TILE, slots - t0);
            widen(values, t0 * d, tile, 0, n * d);
            for (int g = 0; g < group; g++) {
                Attention.weightedSum(scores, g * slots + t0, tile, 0, n, d, out, outOff + g * d);
            }
        }
    }

    /** Widens {@code n} half floats {@code src[from..]} into {@code dst[to..]}. */
    public static void widen(short[] src, int from, float[] dst, int to, int n) {
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += L) {
            IntVector h = (IntVector) ShortVector.fromArray(H, src, from + i).convertShape(VectorOperators.S2I, I, 0);
            ((FloatVector) h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).or(h.and(0x80000000)).reinterpretShape(F, 0))
                    .mul(0x1p112f).intoArray(dst, to + i);
        }
        for (; i < n; i++) {
            dst[to + i] = Float.float16ToFloat(src[from + i]);
        }
    }

    /** Rounds {@code n} floats {@code src[from..]} to half floats in {@code dst[to..]}, saturating at {@code ±65504}. */
    public static void narrow(float[] src, int from, short[] dst, int to, int n) {
        for (int i = 0; i < n; i++) {
            dst[to + i] = half(src[from + i]);
        }
    }

    private static short half(float x) {
        return Float.floatToFloat16(Math.clamp(x, -HALF_MAX, HALF_MAX));
    }

    /** Stores the key {@code src[from .. from + headDim)} as slot {@code slot} of blocked half keys. */
    public static void narrowKey(float[] src, int from, short[] keys, int slot, int headDim) {
        int base = keyIndex(slot, 0, headDim);
        for (int i = 0; i < headDim; i++) {
            keys[base + i * KEY_BLOCK] = half(src[from + i]);
        }
    }

    /** Widens the first {@code slots} blocked half keys into slot-major floats {@code dst[slot * headDim + i]}. */
    public static void widenKeys(short[] keys, int slots, int headDim, float[] dst) {
        float[] block = new float[KEY_BLOCK * headDim];
        for (int b0 = 0; b0 < slots; b0 += KEY_BLOCK) {
            widen(keys, b0 * headDim, block, 0, KEY_BLOCK * headDim);
            int n = Math.min(KEY_BLOCK, slots - b0);
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < headDim; i++) {
                    dst[(b0 + j) * headDim + i] = block[i * KEY_BLOCK + j];
                }
            }
        }
    }

    /** Moves {@code count} slots of blocked keys from {@code from} to {@code to}, like {@code System.arraycopy}. */
    public static void moveKeys(short[] keys, int from, int to, int count, int headDim) {
        boolean down = to < from;
        for (int c = 0; c < count; c++) {
            int s = down ? c : count - 1 - c;
            int a = keyIndex(from + s, 0, headDim), b = keyIndex(to + s, 0, headDim);
            for (int i = 0; i < headDim * KEY_BLOCK; i += KEY_BLOCK) {
                keys[b + i] = keys[a + i];
            }
        }
    }
}
