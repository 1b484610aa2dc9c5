package dev.chelsea.engine.kv;

import dev.chelsea.engine.backend.cpu.CpuKvStore;
import org.junit.jupiter.api.Test;

import static dev.chelsea.engine.kv.KvTestSupport.newCache;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A cache's whole state copied through a snapshot (what the prompt cache does) behaves exactly like
 * the cache it came from, under every policy: the same attention for the next tokens and the same
 * decisions when the policy compresses again (scores and recorded queries travel with it).
 */
class KvCacheStateCopyTest {
    static final KvLayout LAYOUT = new KvLayout(2, 2, 8);
    static final int HEADS = 4;

    @Test
    void aCopiedStateGoesOnExactlyLikeItsSource() {
        for (String policy : KvPolicies.names()) {
            KvCacheConfig kv = KvTestSupport.ratio(policy, 0.4, 16, 4, 16);
            KvCache<CpuKvStore> source = newCache(kv, LAYOUT, 800);
            KvTestSupport.Tokens prompt = KvTestSupport.randomTokens(LAYOUT, 300, 1);
            KvTestSupport.feedAttending(source, prompt, KvTestSupport.randomQueries(300, HEADS, 8, 1, 2), HEADS);
            source.endPrefill();
            KvCache<KvStore> snapshot = source.snapshot();
            KvCache<CpuKvStore> copy = newCache(kv, LAYOUT, 800);
            snapshot.copyStateTo(copy);
            assertEquals(source.position(), copy.position(), policy);
            assertEquals(source.stats().slots(), copy.stats().slots(), policy);
            assertEquals(source.stats().compressions(), copy.stats().compressions(), policy);
            KvTestSupport.Tokens next = KvTestSupport.randomTokens(LAYOUT, 120, 3);
            float[] q = KvTestSupport.randomQueries(120, HEADS, 8, 1, 4);
            int row = HEADS * 8;
            for (int i = 0; i < 120; i++) {
                KvTestSupport.Tokens t = next.slice(LAYOUT, i, 1);
                float[] qi = java.util.Arrays.copyOfRange(q, i * row, (i + 1) * row);
                float[][] a = KvTestSupport.feedAttending(source, t, qi, HEADS);
                float[][] b = KvTestSupport.feedAttending(copy, t, qi, HEADS);
                for (int l = 0; l < LAYOUT.layers(); l++) {
                    // Equal but for the last bit: the Vector API's reductions round differently before and after the JIT compiles them.
                    assertArrayEquals(a[l], b[l], 1e-6f, policy + ", token " + i + ", layer " + l);
                }
            }
            for (int l = 0; l < LAYOUT.layers(); l++) {
                for (int h = 0; h < LAYOUT.kvHeads(); h++) {
                    assertArrayEquals(java.util.Arrays.copyOf(source.store().positions(l, h), source.slots(l)),
                            java.util.Arrays.copyOf(copy.store().positions(l, h), copy.slots(l)), policy);
                }
            }
            assertEquals(300, snapshot.position(), "the snapshot does not move with its copies");
        }
    }

    @Test
    void onlyAnEmptyCacheOfTheSamePolicyTakesAState() {
        KvCache<CpuKvStore> source = newCache(KvCacheConfig.defaults(), LAYOUT, 100);
        KvTestSupport.feed(source, KvTestSupport.randomTokens(LAYOUT, 10, 1));
        KvCache<KvStore> snapshot = source.snapshot();
        assertThrows(IllegalArgumentException.class, () -> snapshot.copyStateTo(newCache(KvCacheConfig.full(), LAYOUT, 100)));
        KvCache<CpuKvStore> busy = newCache(KvCacheConfig.defaults(), LAYOUT, 100);
        KvTestSupport.feed(busy, KvTestSupport.randomTokens(LAYOUT, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> snapshot.copyStateTo(busy));
        assertThrows(IllegalArgumentException.class, () -> snapshot.copyStateTo(newCache(KvCacheConfig.defaults(), LAYOUT, 5)));
    }
}
