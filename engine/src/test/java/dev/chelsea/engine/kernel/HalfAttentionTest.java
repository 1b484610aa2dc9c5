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

    /** Same widened slots, same operations: the half kernel equals the float kernel on the widened keys and values, bit for bit. */
    @Test
    void equalsTheFloatKernelOnTheWidenedCache() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int d : new int[] {64, 20}) {
            for (int slots : new int[] {1, 63, 64, 200}) {
                int group = 3;
                short[] k = new short[slots * d], v = new short[slots * d];
                for (int i = 0; i < k.length; i++) {
                    k[i] = Float.floatToFloat16((float) rnd.nextGaussian());
                    v[i] = Float.floatToFloat16((float) rnd.nextGaussian());
                }
                float[] kf = new float[k.length], vf = new float[v.length];
                HalfAttention.widen(k, 0, kf, 0, k.length);
                HalfAttention.widen(v, 0, vf, 0, v.length);
                float[] q = new float[group * d], bias = new float[slots];
                for (int i = 0; i < q.length; i++) {
                    q[i] = (float) rnd.nextGaussian();
                }
                for (int i = 0; i < slots; i++) {
                    bias[i] = (float) Math.log(1 + rnd.nextInt(4));
                }
                float[] want = new float[group * d], got = new float[group * d];
                Attention.attendGroup(q, 0, group, kf, vf, bias, slots, d, 0.125f, new float[group * slots], want, 0);
                HalfAttention.attendGroup(q, 0, group, k, v, bias, slots, d, 0.125f, new float[group * slots],
                        new float[HalfAttention.TILE * d], got, 0);
                assertArrayEquals(want, got, "head size " + d + ", " + slots + " slots");
            }
        }
    }
}
