package dev.chelsea.engine.kv;

import dev.chelsea.engine.backend.cpu.CpuKvStore;

import dev.chelsea.engine.kernel.Parallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static dev.chelsea.engine.kv.KvTestSupport.newCache;
import static dev.chelsea.engine.kv.KvTestSupport.layout;
import static dev.chelsea.engine.kv.KvTestSupport.randomQueries;
import static dev.chelsea.engine.kv.KvTestSupport.randomTokens;
import static dev.chelsea.engine.kv.KvTestSupport.ratio;
import static dev.chelsea.engine.kv.KvTestSupport.referenceAttention;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every policy's attention returns equals float64 attention over the entries it holds (with
 * log sizes when merged), in either storage type: a half store's entries are what it returns widened.
 */
class KvAttentionReferenceTest {
    private static final int D = 16, HEADS = 4, KV_HEADS = 2, PROMPT = 160, STEPS = 120;

    @ParameterizedTest
    @EnumSource(KvType.class)
    void everyPolicyAttendsExactlyOverWhatItKeeps(KvType type) {
        KvLayout layout = layout(2, KV_HEADS, D);
        KvTestSupport.Tokens t = randomTokens(layout, PROMPT + STEPS, 1);
        float[] q = randomQueries(PROMPT + STEPS, HEADS, D, 2.0, 2);
        int qRow = HEADS * D;
        try (Parallel threads = new Parallel(2)) {
            for (String policy : KvCacheConfig.POLICIES) {
                KvCache<CpuKvStore> cache = newCache(ratio(policy, 0.3, 16, 4, 16).withKvType(type), layout, 1024, threads);
                for (int from = 0; from < PROMPT + STEPS; ) {
                    int n = from < PROMPT ? 80 : 1;
                    KvTestSupport.Tokens batch = t.slice(layout, from, n);
                    float[] qb = Arrays.copyOfRange(q, from * qRow, (from + n) * qRow);
                    for (int l = 0; l < 2; l++) {
                        cache.store().append(l, batch.k()[l], batch.v()[l], n);
                        float[] out = new float[n * qRow];
                        cache.store().attend(l, qb, n, HEADS, out);
                        assertMatchesReference(policy + " " + type.label(), cache, l, qb, n, out);
                    }
                    cache.commit(n);
                    from += n;
                    if (from == PROMPT) {
                        cache.endPrefill();
                    }
                }
                if (!policy.equals("full")) {
                    assertTrue(cache.slots(0) < (PROMPT + STEPS) / 2, policy + " compressed: " + cache.slots(0));
                }
            }
        }
    }

    private static void assertMatchesReference(String policy, KvCache<CpuKvStore> cache, int layer, float[] q, int n, float[] out) {
        int total = cache.slots(layer);
        boolean bias = cache.store().attendsWithSizeBias(layer);
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < HEADS; g++) {
                int h = g / (HEADS / KV_HEADS);
                int off = i * HEADS * D + g * D;
                double[] ref = referenceAttention(q, off, cache.store().keys(layer, h), cache.store().values(layer, h),
                        bias ? cache.store().logSizes(layer, h) : null, total - n + i + 1, D);
                for (int c = 0; c < D; c++) {
                    double err = Math.abs(out[off + c] - ref[c]);
                    assertTrue(err < 2e-5 * (1 + Math.abs(ref[c])), policy + " at position " + cache.position()
                            + " layer " + layer + " query " + i + " head " + g + ": " + out[off + c] + " vs " + ref[c]);
                }
            }
        }
    }
}
