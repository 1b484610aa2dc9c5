package dev.chelsea.engine.kv;

import dev.chelsea.engine.backend.cpu.CpuKvStore;
import org.junit.jupiter.api.Test;

import static dev.chelsea.engine.kv.KvTestSupport.newCache;
import static dev.chelsea.engine.kv.KvTestSupport.referenceAttention;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A half-float store holds the half rounding of what it is given, attends within half precision
 * of a float store on the same tokens, and copies to and from float stores.
 */
class HalfKvStoreTest {
    private static final KvLayout LAYOUT = new KvLayout(2, 2, 64);
    private static final KvCacheConfig HALF = KvCacheConfig.full().withKvType(KvType.F16);

    private static float rounded(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    @Test
    void holdsTheHalfRoundingOfWhatItIsGivenSaturatingAtTheHalfRange() {
        KvTestSupport.Tokens t = KvTestSupport.randomTokens(LAYOUT, 50, 1);
        t.k()[1][7] = 1e6f;
        t.v()[1][9] = -7e4f;
        KvCache<CpuKvStore> cache = newCache(HALF, LAYOUT, 64);
        KvTestSupport.feed(cache, t);
        int d = LAYOUT.headDim(), row = LAYOUT.rowFloats();
        for (int l = 0; l < 2; l++) {
            for (int h = 0; h < 2; h++) {
                float[] k = cache.store().keys(l, h), v = cache.store().values(l, h);
                for (int s = 0; s < 50; s++) {
                    for (int c = 0; c < d; c++) {
                        float wantK = rounded(Math.clamp(t.k()[l][s * row + h * d + c], -65504f, 65504f));
                        float wantV = rounded(Math.clamp(t.v()[l][s * row + h * d + c], -65504f, 65504f));
                        assertEquals(wantK, k[s * d + c], "key " + l + "/" + h + "/" + s + "/" + c);
                        assertEquals(wantV, v[s * d + c], "value " + l + "/" + h + "/" + s + "/" + c);
                    }
                }
            }
        }
        assertEquals(65504f, cache.store().keys(1, 0)[7]);
        assertEquals(-65504f, cache.store().values(1, 0)[9]);
        assertEquals(cache.store().bytesPerToken() * 2, newCache(KvTestSupport.fullFloat(), LAYOUT, 64).store().bytesPerToken());
    }

    /**
     * Decode attention of a half store against float64 attention over the float tokens: the error is
     * that of rounding keys and values to 11 significant bits (about {@code 5e-4} relative), far above
     * float rounding and far below the values' scale.
     */
    @Test
    void attendsWithinHalfPrecisionOfTheFloatTokens() {
        KvTestSupport.Tokens t = KvTestSupport.randomTokens(LAYOUT, 300, 2);
        int heads = 8, d = LAYOUT.headDim();
        float[] q = KvTestSupport.randomQueries(300, heads, d, 0.3, 3);
        KvCache<CpuKvStore> half = newCache(HALF, LAYOUT, 320), full = newCache(KvTestSupport.fullFloat(), LAYOUT, 320);
        KvTestSupport.feed(half, t.slice(LAYOUT, 0, 299));
        KvTestSupport.feed(full, t.slice(LAYOUT, 0, 299));
        KvTestSupport.Tokens last = t.slice(LAYOUT, 299, 1);
        float[] q1 = java.util.Arrays.copyOfRange(q, 299 * heads * d, 300 * heads * d);
        float[][] a = KvTestSupport.feedAttending(half, last, q1, heads);
        float[][] b = KvTestSupport.feedAttending(full, last, q1, heads);
        double worstHalf = 0, worstFloat = 0;
        for (int l = 0; l < 2; l++) {
            for (int g = 0; g < heads; g++) {
                int h = g / (heads / 2);
                double[] ref = referenceAttention(q1, g * d, full.store().keys(l, h), full.store().values(l, h), null, 300, d);
                for (int c = 0; c < d; c++) {
                    worstHalf = Math.max(worstHalf, Math.abs(a[l][g * d + c] - ref[c]));
                    worstFloat = Math.max(worstFloat, Math.abs(b[l][g * d + c] - ref[c]));
                }
            }
        }
        assertTrue(worstHalf < 2e-3, "half store error " + worstHalf);
        assertTrue(worstHalf > 10 * worstFloat, "a half store rounds: " + worstHalf + " against the float store's " + worstFloat);
    }

    @Test
    void copiesConvertBetweenTypes() {
        KvTestSupport.Tokens t = KvTestSupport.randomTokens(LAYOUT, 40, 4);
        KvCache<CpuKvStore> full = newCache(KvTestSupport.fullFloat(), LAYOUT, 64);
        KvTestSupport.feed(full, t);
        KvCache<CpuKvStore> half = newCache(HALF, LAYOUT, 64);
        full.copyPromptTo(half);
        KvCache<CpuKvStore> back = newCache(KvTestSupport.fullFloat(), LAYOUT, 64);
        half.copyPromptTo(back);
        int n = 40 * LAYOUT.headDim();
        for (int l = 0; l < 2; l++) {
            for (int h = 0; h < 2; h++) {
                float[] k = full.store().keys(l, h), kh = half.store().keys(l, h), kb = back.store().keys(l, h);
                float[] v = full.store().values(l, h), vb = back.store().values(l, h);
                for (int i = 0; i < n; i++) {
                    assertEquals(rounded(k[i]), kh[i]);
                    assertEquals(rounded(k[i]), kb[i]);
                    assertEquals(rounded(v[i]), vb[i]);
                }
            }
        }
        assertEquals(40, back.slots(1));
    }
}
