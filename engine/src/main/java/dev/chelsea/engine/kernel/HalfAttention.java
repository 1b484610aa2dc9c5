package dev.chelsea.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * {@link Attention#attendGroup} over keys and values stored as IEEE half floats (their bits in
 * {@code short}s): half the bytes that decode attention reads at long context.
 *
 * <p>Keys are stored in blocks of {@link #KEY_BLOCK} slots, dimension-major within a block
 * ({@link #keyIndex}): one vector then holds one dimension of several slots, and a query's scores
 * for a block are sums of {@code headDim} broadcast multiply-adds, with no horizontal sum per
 * slot (the float kernel's {@code reduceLanes} per slot and query head is most of its time).
 * Values stay slot-major. Each vector of keys or values is widened to floats in registers and
 * used there by up to four query heads; with groups of four heads or fewer (and head sizes that
 * are multiples of four vectors), each key and value is read from memory once for the whole group.
 *
 * <p>Widening {@code F} halves at once: the magnitude's bits shifted into a float's
 * ({@link #HALF_BITS}) are the value times {@code 2^-112} exactly, subnormal halves included; a
 * multiply by {@code 2^112} finishes it. Infinities and NaN would come out finite, so the stores
 * here never write them (they saturate at the half range).
 */
public final class HalfAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() > 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    /** Slots per key block: a multiple of every float vector length up to 512 bits. */
    public static final int KEY_BLOCK = 16;
    /**
     * A half's sign and magnitude bits in a float's places: the half sign-extended to 32 bits and
     * shifted left by 13 holds its sign in bit 31 (and 28 to 30) and its magnitude in bits 13 to 27.
     */
    private static final int HALF_BITS = 0x8FFFE000;
    /** {@code 2^112}: turns those bits, the half's value times {@code 2^-112}, into the value. */
    private static final float HALF_SCALE = 0x1p112f;
    private static final float HALF_MAX = 65504f;
    /**
     * Whether {@link #values4} runs: its 16 accumulators and 4 value vectors fit AVX-512's 32
     * registers, not AVX2's 16.
     */
    private static final boolean FOUR_HEAD_VALUES = L >= 16;

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
     * As {@link Attention#attendGroup}, with blocked half {@code keys} and slot-major half
     * {@code values}. Halves are widened in registers where they are used, four query heads at a
     * time: each widened key row or value row serves the four heads' multiply-adds, where widening a
     * block into a buffer first and reading it back once per head cost a store and a load per vector
     * and per head. One thread, 8 KV heads of 64 dimensions, 4 query heads each, against that form
     * (alternating in one JVM, medians of 12 rounds, AMD EPYC Zen 5, 2026-12-08): 530 slots 46.8
     * against 109.6 us, 4096 slots 344 against 875 us, 16384 slots 1.52 against 4.72 ms; head size
     * 128 0.43x; groups of 8 heads 0.45x, 7 (four, then three one at a time) 0.56x, 2 0.56x, 1 0.37x;
     * all in docs/performance.md (twenty-seventh session).
     */
    public static void attendGroup(float[] q, int qOff, int group, short[] keys, short[] values, float[] bias,
                                   int slots, int headDim, float scale, float[] scores, float[] out, int outOff) {
        int d = headDim;
        int g = 0;
        for (; g + 4 <= group; g += 4) {
            scores4(q, qOff + g * d, keys, slots, d, scale, scores, g * slots);
        }
        for (; g < group; g++) {
            scores1(q, qOff + g * d, keys, slots, d, scale, scores, g * slots);
        }
        for (g = 0; g < group; g++) {
            if (bias != null) {
                Attention.axpy(1f, bias, 0, scores, g * slots, slots);
            }
            Attention.softmax(scores, g * slots, slots);
        }
        g = 0;
        if (FOUR_HEAD_VALUES && d % (4 * L) == 0) {
            for (; g + 4 <= group; g += 4) {
                values4(scores, g * slots, slots, values, d, out, outOff + g * d);
            }
        }
        for (; g < group; g++) {
            values1(scores, g * slots, slots, values, d, out, outOff + g * d);
        }
    }

    /**
     * Scores of the four query heads at {@code q[qo + g * d]} over the blocked keys, scaled, into
     * {@code scores[so + g * slots + slot]}. Two chains per head (even and odd dimensions), so that
     * eight multiply-adds are in flight.
     */
    private static void scores4(float[] q, int qo, short[] keys, int slots, int d, float scale, float[] scores, int so) {
        IntVector bits = IntVector.broadcast(I, HALF_BITS);
        for (int b0 = 0; b0 < slots; b0 += KEY_BLOCK) {
            for (int p = 0; p < KEY_BLOCK && b0 + p < slots; p += L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
                for (int i = 0, at = b0 * d + p; i < d; i += 2, at += 2 * KEY_BLOCK) {
                    FloatVector k0 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, keys, at).convertShape(S2I, I, 0))
                            .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE);
                    FloatVector k1 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, keys, at + KEY_BLOCK).convertShape(S2I, I, 0))
                            .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE);
                    a0 = k0.fma(FloatVector.broadcast(F, q[qo + i]), a0);
                    c0 = k1.fma(FloatVector.broadcast(F, q[qo + i + 1]), c0);
                    a1 = k0.fma(FloatVector.broadcast(F, q[qo + d + i]), a1);
                    c1 = k1.fma(FloatVector.broadcast(F, q[qo + d + i + 1]), c1);
                    a2 = k0.fma(FloatVector.broadcast(F, q[qo + 2 * d + i]), a2);
                    c2 = k1.fma(FloatVector.broadcast(F, q[qo + 2 * d + i + 1]), c2);
                    a3 = k0.fma(FloatVector.broadcast(F, q[qo + 3 * d + i]), a3);
                    c3 = k1.fma(FloatVector.broadcast(F, q[qo + 3 * d + i + 1]), c3);
                }
                int at = so + b0 + p;
                VectorMask<Float> m = F.indexInRange(b0 + p, slots);
                a0.add(c0).mul(scale).intoArray(scores, at, m);
                a1.add(c1).mul(scale).intoArray(scores, at + slots, m);
                a2.add(c2).mul(scale).intoArray(scores, at + 2 * slots, m);
                a3.add(c3).mul(scale).intoArray(scores, at + 3 * slots, m);
            }
        }
    }

    /** {@link #scores4} for one query head, four chains (dimensions modulo 4). */
    private static void scores1(float[] q, int qo, short[] keys, int slots, int d, float scale, float[] scores, int so) {
        IntVector bits = IntVector.broadcast(I, HALF_BITS);
        for (int b0 = 0; b0 < slots; b0 += KEY_BLOCK) {
            for (int p = 0; p < KEY_BLOCK && b0 + p < slots; p += L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                int i = 0, at = b0 * d + p;
                for (; i + 3 < d; i += 4, at += 4 * KEY_BLOCK) {
                    a0 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, keys, at).convertShape(S2I, I, 0))
                            .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(FloatVector.broadcast(F, q[qo + i]), a0);
                    a1 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, keys, at + KEY_BLOCK).convertShape(S2I, I, 0))
                            .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(FloatVector.broadcast(F, q[qo + i + 1]), a1);
                    a2 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, keys, at + 2 * KEY_BLOCK).convertShape(S2I, I, 0))
                            .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(FloatVector.broadcast(F, q[qo + i + 2]), a2);
                    a3 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, keys, at + 3 * KEY_BLOCK).convertShape(S2I, I, 0))
                            .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(FloatVector.broadcast(F, q[qo + i + 3]), a3);
                }
                for (; i < d; i++, at += KEY_BLOCK) {
                    a0 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, keys, at).convertShape(S2I, I, 0))
                            .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(FloatVector.broadcast(F, q[qo + i]), a0);
                }
                a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(scores, so + b0 + p, F.indexInRange(b0 + p, slots));
            }
        }
    }

    /**
     * The outputs of the four query heads whose softmax weights are {@code w[wo + g * slots + slot]}:
     * {@code out[oo + g * d ..]}, written (not added to), 4 vectors of dimensions a pass, each value
     * row widened once for the four heads. {@code d} a multiple of {@code 4 L}.
     */
    private static void values4(float[] w, int wo, int slots, short[] values, int d, float[] out, int oo) {
        IntVector bits = IntVector.broadcast(I, HALF_BITS);
        for (int i0 = 0; i0 < d; i0 += 4 * L) {
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (int j = 0, at = i0; j < slots; j++, at += d) {
                FloatVector v0 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, values, at).convertShape(S2I, I, 0))
                        .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE);
                FloatVector v1 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, values, at + L).convertShape(S2I, I, 0))
                        .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE);
                FloatVector v2 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, values, at + 2 * L).convertShape(S2I, I, 0))
                        .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE);
                FloatVector v3 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, values, at + 3 * L).convertShape(S2I, I, 0))
                        .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE);
                FloatVector p = FloatVector.broadcast(F, w[wo + j]);
                a00 = v0.fma(p, a00);
                a01 = v1.fma(p, a01);
                a02 = v2.fma(p, a02);
                a03 = v3.fma(p, a03);
                p = FloatVector.broadcast(F, w[wo + slots + j]);
                a10 = v0.fma(p, a10);
                a11 = v1.fma(p, a11);
                a12 = v2.fma(p, a12);
                a13 = v3.fma(p, a13);
                p = FloatVector.broadcast(F, w[wo + 2 * slots + j]);
                a20 = v0.fma(p, a20);
                a21 = v1.fma(p, a21);
                a22 = v2.fma(p, a22);
                a23 = v3.fma(p, a23);
                p = FloatVector.broadcast(F, w[wo + 3 * slots + j]);
                a30 = v0.fma(p, a30);
                a31 = v1.fma(p, a31);
                a32 = v2.fma(p, a32);
                a33 = v3.fma(p, a33);
            }
            int o = oo + i0;
            a00.intoArray(out, o);
            a01.intoArray(out, o + L);
            a02.intoArray(out, o + 2 * L);
            a03.intoArray(out, o + 3 * L);
            o += d;
            a10.intoArray(out, o);
            a11.intoArray(out, o + L);
            a12.intoArray(out, o + 2 * L);
            a13.intoArray(out, o + 3 * L);
            o += d;
            a20.intoArray(out, o);
            a21.intoArray(out, o + L);
            a22.intoArray(out, o + 2 * L);
            a23.intoArray(out, o + 3 * L);
            o += d;
            a30.intoArray(out, o);
            a31.intoArray(out, o + L);
            a32.intoArray(out, o + 2 * L);
            a33.intoArray(out, o + 3 * L);
        }
    }

    /** {@link #values4} for one query head and any {@code d}: four vectors a pass, then one, then single dimensions. */
    private static void values1(float[] w, int wo, int slots, short[] values, int d, float[] out, int oo) {
        IntVector bits = IntVector.broadcast(I, HALF_BITS);
        int i0 = 0;
        for (; i0 + 4 * L <= d; i0 += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0, at = i0; j < slots; j++, at += d) {
                FloatVector p = FloatVector.broadcast(F, w[wo + j]);
                a0 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, values, at).convertShape(S2I, I, 0))
                        .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(p, a0);
                a1 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, values, at + L).convertShape(S2I, I, 0))
                        .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(p, a1);
                a2 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, values, at + 2 * L).convertShape(S2I, I, 0))
                        .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(p, a2);
                a3 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, values, at + 3 * L).convertShape(S2I, I, 0))
                        .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(p, a3);
            }
            int o = oo + i0;
            a0.intoArray(out, o);
            a1.intoArray(out, o + L);
            a2.intoArray(out, o + 2 * L);
            a3.intoArray(out, o + 3 * L);
        }
        for (; i0 + L <= d; i0 += L) {
            FloatVector a0 = FloatVector.zero(F);
            for (int j = 0, at = i0; j < slots; j++, at += d) {
                a0 = ((FloatVector) ((IntVector) ShortVector.fromArray(H, values, at).convertShape(S2I, I, 0))
                        .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).fma(FloatVector.broadcast(F, w[wo + j]), a0);
            }
            a0.intoArray(out, oo + i0);
        }
        for (; i0 < d; i0++) {
            float sum = 0;
            for (int j = 0; j < slots; j++) {
                sum += w[wo + j] * Float.float16ToFloat(values[j * d + i0]);
            }
            out[oo + i0] = sum;
        }
    }

    /** Widens {@code n} half floats {@code src[from..]} into {@code dst[to..]}. */
    public static void widen(short[] src, int from, float[] dst, int to, int n) {
        IntVector bits = IntVector.broadcast(I, HALF_BITS);
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += L) {
            ((FloatVector) ((IntVector) ShortVector.fromArray(H, src, from + i).convertShape(S2I, I, 0))
                    .lanewise(LSHL, 13).and(bits).reinterpretShape(F, 0)).mul(HALF_SCALE).intoArray(dst, to + i);
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
