package dev.chelsea.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The half-float attention kernel and its conversions, against the JDK's exact conversions and the float kernel. */
class HalfAttentionTest {

    @Test
    void widensEveryFiniteHalfExactly() {
        short[] all = new short[1 << 16];
        int n = 0;
        for (int h = 0; h < 1 << 16; h++) {
            if ((h & 0x7C00) != 0x7C00) {
                all[n++] = (short) h;
            }
        }
        float[] got = new float[n + 3];
        HalfAttention.widen(all, 0, got, 3, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(all[i])), Float.floatToRawIntBits(got[3 + i]),
                    "half 0x" + Integer.toHexString(all[i] & 0xFFFF));
        }
    }

    @Test
    void narrowsToTheNearestHalfAndSaturates() {
        float[] x = {1f / 3, -2.5e-6f, 65504f, 65520f, -1e9f, 0f};
        short[] h = new short[x.length];
        HalfAttention.narrow(x, 0, h, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            float want = Float.float16ToFloat(Float.floatToFloat16(Math.clamp(x[i], -65504f, 65504f)));
            assertEquals(want, Float.float16ToFloat(h[i]), "value " + x[i]);
        }
        assertEquals(-65504f, Float.float16ToFloat(h[4]));
    }

    /**
     * Against float64 attention over the same half keys and values: the kernel's only error is float
     * rounding (scores summed in another order than the float kernel's), so 1e-5 of the scale.
     * Head sizes that are and are not multiples of the vector length (and of four vectors, which the
     * four-head values take), slot counts around the key block, groups taken four heads at a time,
     * one at a time, and both.
     */
    @Test
    void attendsLikeFloat64OverTheHalfCache() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int d : new int[] {64, 20, 128, 32, 6}) {
            for (int group : new int[] {1, 3, 4, 8, 6}) {
                for (int slots : new int[] {1, 15, 16, 17, 63, 64, 200}) {
                    float[] kf = new float[slots * d], vf = new float[slots * d];
                    short[] k = new short[HalfAttention.keyLength(slots, d)], v = new short[slots * d];
                    for (int i = 0; i < kf.length; i++) {
                        kf[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian()));
                        vf[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian()));
                    }
                    for (int s = 0; s < slots; s++) {
                        HalfAttention.narrowKey(kf, s * d, k, s, d);
                    }
                    HalfAttention.narrow(vf, 0, v, 0, vf.length);
                    float[] q = new float[group * d], bias = new float[slots];
                    for (int i = 0; i < q.length; i++) {
                        q[i] = (float) rnd.nextGaussian();
                    }
                    for (int i = 0; i < slots; i++) {
                        bias[i] = (float) Math.log(1 + rnd.nextInt(4));
                    }
                    float scale = (float) (1 / Math.sqrt(d));
                    float[] got = new float[group * d + 5];
                    java.util.Arrays.fill(got, 7f);
                    HalfAttention.attendGroup(q, 0, group, k, v, bias, slots, d, scale, new float[group * slots], got, 2);
                    for (int g = 0; g < group; g++) {
                        double[] ref = dev.chelsea.engine.testing.ReferenceAttention.output(q, g * d, kf, vf, bias, slots, d);
                        for (int c = 0; c < d; c++) {
                            assertEquals(ref[c], got[2 + g * d + c], 1e-5 * (1 + Math.abs(ref[c])),
                                    "head size " + d + ", " + slots + " slots, head " + g + " of " + group);
                        }
                    }
                    assertEquals(7f, got[0]);
                    assertEquals(7f, got[2 + group * d]);
                }
            }
        }
    }

    @Test
    void blockedKeysWidenAndMoveLikeSlots() {
        int d = 24, slots = 50;
        float[] kf = new float[slots * d];
        SplittableRandom rnd = new SplittableRandom(6);
        for (int i = 0; i < kf.length; i++) {
            kf[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian()));
        }
        short[] k = new short[HalfAttention.keyLength(slots, d)];
        for (int s = 0; s < slots; s++) {
            HalfAttention.narrowKey(kf, s * d, k, s, d);
        }
        float[] back = new float[slots * d];
        HalfAttention.widenKeys(k, slots, d, back);
        assertArrayEquals(kf, back);
        // Overlapping moves both ways, across block boundaries, as System.arraycopy would do them.
        float[] want = kf.clone();
        System.arraycopy(want, 3 * d, want, 14 * d, 30 * d);
        System.arraycopy(want, 20 * d, want, 5 * d, 25 * d);
        HalfAttention.moveKeys(k, 3, 14, 30, d);
        HalfAttention.moveKeys(k, 20, 5, 25, d);
        HalfAttention.widenKeys(k, slots, d, back);
        assertArrayEquals(want, back);
    }
}
