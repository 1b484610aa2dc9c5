package dev.chelsea.engine.kv;

import dev.chelsea.engine.backend.cpu.CpuKvStore;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KvCacheConfigTest {

    private static void assertRefused(String expectedInMessage, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expectedInMessage), "message '" + e.getMessage() + "' should mention " + expectedInMessage);
    }

    @Test
    void refusesBadConfigurationsWithClearMessages() {
        KvCacheConfig ok = KvCacheConfig.defaults();
        assertRefused("kept ratio must be in (0, 1], got 0.0", () -> ok.withKeptRatio(0));
        assertRefused("kept ratio must be in (0, 1], got 1.5", () -> ok.withKeptRatio(1.5));
        assertRefused("kept ratio must be in (0, 1], got NaN", () -> ok.withKeptRatio(Double.NaN));
        assertRefused("kept ratio", () -> ok.withKeptRatio(-0.2));
        assertRefused("chunk size must be at least 2, got 1", () -> ok.withChunkSize(1));
        assertRefused("budget 60 is smaller than sink tokens + recent window (4 + 64)", () -> ok.withBudget(60));
        assertRefused("budget must be 0", () -> ok.withBudget(-5));
        assertRefused("unknown KV cache policy 'lru' (known: full, chelsea, streaming, h2o, snapkv)", () -> ok.withPolicy("lru"));
        assertRefused("unknown KV cache policy 'null'", () -> ok.withPolicy(null));
        assertRefused("must not be negative", () -> ok.withSinkTokens(-1));
        assertRefused("must not be negative", () -> ok.withRecentWindow(-1));
        assertRefused("unknown per-layer budget schedule 'cone'", () -> ok.withLayerBudgets("cone"));
        // Edges that are fine.
        ok.withKeptRatio(1.0).withChunkSize(2).withBudget(68);
    }

    @Test
    void defaultsAreThoseOfTheSpec() {
        KvCacheConfig c = KvCacheConfig.defaults();
        assertEquals("chelsea", c.policy());
        assertEquals(64, c.chunkSize());
        assertEquals(4, c.sinkTokens());
        assertEquals(64, c.recentWindow());
        assertTrue(c.sizeBias());
        assertEquals("uniform", c.layerBudgets());
        assertEquals(false, c.globalTopK());
    }

    @Test
    void factoryCreatesEveryPolicy() {
        KvLayout layout = new KvLayout(2, 2, 8);
        for (String p : KvCacheConfig.POLICIES) {
            KvCache<CpuKvStore> cache = KvTestSupport.newCache(KvCacheConfig.defaults().withPolicy(p), layout, 128);
            assertEquals(p, cache.policy());
        }
        assertEquals("chelsea", KvTestSupport.newCache(KvCacheConfig.defaults(), layout, 128).policy());
    }

    @Test
    void ratioBudgetsRoundUpAndNeverGoBelowTheProtectedTokens() {
        KvBudget b = new KvBudget(KvCacheConfig.defaults().withKeptRatio(0.2), 4);
        assertEquals(200, b.of(0, 1000), "0.2 * 1000 is 200 despite binary rounding");
        assertEquals(201, b.of(0, 1001));
        assertEquals(68, b.of(3, 100), "never below sinks + window");
        KvBudget abs = new KvBudget(KvCacheConfig.defaults().withBudget(300), 4);
        assertEquals(300, abs.of(0, 10_000), "an absolute budget wins over the ratio");
    }

    @Test
    void pyramidBudgetsFallFromFirstToLastLayerAndKeepTheTotal() {
        int layers = 16;
        KvBudget pyramid = new KvBudget(KvCacheConfig.defaults().withBudget(1068).withLayerBudgets("pyramid"), layers);
        long total = 0;
        for (int l = 0; l < layers; l++) {
            total += pyramid.of(l, 50_000);
            if (l > 0) {
                assertTrue(pyramid.of(l, 50_000) < pyramid.of(l - 1, 50_000));
            }
            assertTrue(pyramid.of(l, 50_000) >= 68);
        }
        assertEquals(1068L * layers, total, layers);
        assertEquals(68 + 50, pyramid.of(layers - 1, 50_000), "the last layer gets 1/20 of the compressible budget");
        assertEquals(1068, new KvBudget(KvCacheConfig.defaults().withBudget(1068).withLayerBudgets("pyramid"), 1).of(0, 50_000));
    }
}
