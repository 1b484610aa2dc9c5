package dev.chelsea.engine.kv;

import dev.chelsea.engine.backend.cpu.CpuKvStore;

import dev.chelsea.engine.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.chelsea.engine.kv.KvTestSupport.newCache;
import static dev.chelsea.engine.kv.KvTestSupport.config;
import static dev.chelsea.engine.kv.KvTestSupport.feed;
import static dev.chelsea.engine.kv.KvTestSupport.layout;
import static dev.chelsea.engine.kv.KvTestSupport.randomQueries;
import static dev.chelsea.engine.kv.KvTestSupport.randomTokens;
import static dev.chelsea.engine.kv.KvTestSupport.ratio;
import static dev.chelsea.engine.kv.KvTestSupport.referenceAttention;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChelseaKvCacheTest {

    private static KvCache<CpuKvStore> prefilled(KvCacheConfig cfg, KvLayout layout, int n, long seed) {
        KvCache<CpuKvStore> cache = newCache(cfg, layout, 1 << 16);
        feed(cache, randomTokens(layout, n, seed));
        cache.endPrefill();
        return cache;
    }

    private static float sizeSum(KvCache<CpuKvStore> cache, int layer, int head) {
        float s = 0;
        for (int j = 0; j < cache.slots(layer); j++) {
            s += cache.store().sizes(layer, head)[j];
        }
        return s;
    }

    @Test
    void sizesSumToTheTokensSeenInEveryHeadThroughPrefillAndDecoding() {
        KvLayout layout = layout(2, 3, 8);
        KvCache<CpuKvStore> cache = prefilled(ratio("chelsea", 0.25, 16, 4, 16), layout, 700, 1);
        KvTestSupport.Tokens more = randomTokens(layout, 300, 2);
        for (int i = 0; i < 300; i++) {
            feed(cache, more.slice(layout, i, 1));
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 3; h++) {
                    assertEquals(cache.position(), sizeSum(cache, l, h), 0f, "layer " + l + " head " + h + " at " + cache.position());
                }
            }
        }
        assertTrue(cache.stats().compressions() > 3);
    }

    /** Size-weighted centroids conserve the size-weighted sums of keys and values; a plain mean would not. */
    @Test
    void centroidsAreSizeWeightedMeansOfKeysAndValues() {
        KvLayout layout = layout(1, 2, 8);
        KvTestSupport.Tokens t = randomTokens(layout, 1500, 3);
        KvCache<CpuKvStore> cache = newCache(ratio("chelsea", 0.2, 16, 4, 16), layout, 4096);
        feed(cache, t.slice(layout, 0, 1000));
        cache.endPrefill();
        for (int i = 1000; i <= 1500; i++) {
            if (i % 100 == 0) {
                for (int h = 0; h < 2; h++) {
                    for (int c = 0; c < 8; c++) {
                        double k = 0, v = 0, kRef = 0, vRef = 0;
                        for (int j = 0; j < cache.slots(0); j++) {
                            k += (double) cache.store().sizes(0, h)[j] * cache.store().keys(0, h)[j * 8 + c];
                            v += (double) cache.store().sizes(0, h)[j] * cache.store().values(0, h)[j * 8 + c];
                        }
                        for (int p = 0; p < i; p++) {
                            kRef += t.k()[0][p * 16 + h * 8 + c];
                            vRef += t.v()[0][p * 16 + h * 8 + c];
                        }
                        assertEquals(kRef, k, 1e-3, "keys, head " + h + " dim " + c + " at " + i);
                        assertEquals(vRef, v, 1e-3, "values, head " + h + " dim " + c + " at " + i);
                    }
                }
            }
            if (i < 1500) {
                feed(cache, t.slice(layout, i, 1));
            }
        }
    }

    @Test
    void sinksAndRecentWindowStayBitwiseUnchanged() {
        KvLayout layout = layout(1, 2, 8);
        int sinks = 4, window = 24, n = 600;
        KvTestSupport.Tokens t = randomTokens(layout, n, 5);
        KvCache<CpuKvStore> cache = newCache(ratio("chelsea", 0.2, 32, sinks, window), layout, 4096);
        feed(cache, t);
        cache.endPrefill();
        int slots = cache.slots(0);
        assertTrue(slots < n / 4);
        for (int h = 0; h < 2; h++) {
            for (int s = 0; s < sinks; s++) {
                assertSlotIs(cache, t, h, s, s);
            }
            for (int w = 0; w < window; w++) {
                assertSlotIs(cache, t, h, slots - window + w, n - window + w);
            }
        }
    }

    private static void assertSlotIs(KvCache<CpuKvStore> cache, KvTestSupport.Tokens t, int head, int slot, int token) {
        int d = cache.layout().headDim(), row = cache.layout().rowFloats();
        float[] k = Arrays.copyOfRange(cache.store().keys(0, head), slot * d, slot * d + d);
        float[] v = Arrays.copyOfRange(cache.store().values(0, head), slot * d, slot * d + d);
        assertArrayEquals(Arrays.copyOfRange(t.k()[0], token * row + head * d, token * row + head * d + d), k);
        assertArrayEquals(Arrays.copyOfRange(t.v()[0], token * row + head * d, token * row + head * d + d), v);
        assertEquals(1f, cache.store().sizes(0, head)[slot]);
        assertEquals(token, cache.store().positions(0, head)[slot]);
    }

    /** Sinks, then every middle (k, v) twice in a row, then a window: merging to half is exact with the size bias. */
    @Test
    void duplicatedTokensCompressedToHalfGiveTheUncompressedAttention() {
        int d = 16, sinks = 4, pairs = 32, window = 8, heads = 4;
        KvLayout layout = layout(1, 2, d);
        KvTestSupport.Tokens raw = randomTokens(layout, sinks + pairs + window, 9);
        int n = sinks + 2 * pairs + window, row = layout.rowFloats();
        float[][] k = new float[1][n * row], v = new float[1][n * row];
        for (int t = 0; t < n; t++) {
            int src = t < sinks ? t : t < sinks + 2 * pairs ? sinks + (t - sinks) / 2 : t - pairs;
            System.arraycopy(raw.k()[0], src * row, k[0], t * row, row);
            System.arraycopy(raw.v()[0], src * row, v[0], t * row, row);
        }
        KvTestSupport.Tokens prompt = new KvTestSupport.Tokens(k, v, n);
        KvTestSupport.Tokens next = randomTokens(layout, 1, 10);
        float[] q = randomQueries(1, heads, d, 2.0, 11);

        KvCache<CpuKvStore> full = newCache(KvTestSupport.fullFloat(), layout, 1024);
        feed(full, prompt);
        float[] expected = new float[heads * d];
        full.store().append(0, next.k()[0], next.v()[0], 1);
        full.store().attend(0, q, 1, heads, expected);

        for (boolean bias : new boolean[] {true, false}) {
            KvCache<CpuKvStore> cache = newCache(config("chelsea", sinks + pairs + window, 8, sinks, window).withSizeBias(bias), layout, 1024);
            feed(cache, prompt);
            cache.endPrefill();
            assertEquals(sinks + pairs + window, cache.slots(0));
            for (int h = 0; h < 2; h++) {
                for (int j = sinks; j < sinks + pairs; j++) {
                    assertEquals(2f, cache.store().sizes(0, h)[j], "every twin pair became one centroid of size 2");
                }
            }
            float[] out = new float[heads * d];
            cache.store().append(0, next.k()[0], next.v()[0], 1);
            cache.store().attend(0, q, 1, heads, out);
            double maxDiff = 0;
            for (int i = 0; i < out.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(out[i] - expected[i]));
            }
            if (bias) {
                assertTrue(maxDiff < 1e-5, "with log(size) the merged cache is exact, max diff " + maxDiff);
            } else {
                assertTrue(maxDiff > 1e-3, "without log(size) the duplicates lose half their weight, max diff " + maxDiff);
            }
        }
    }

    @Test
    void queryHeadsOfAGroupUseTheirKvHeadsLogSizes() {
        int d = 8, heads = 4;
        KvLayout layout = layout(1, 2, d);
        KvCache<CpuKvStore> cache = prefilled(config("chelsea", 40, 8, 2, 6), layout, 200, 21);
        KvTestSupport.Tokens next = randomTokens(layout, 1, 22);
        cache.store().append(0, next.k()[0], next.v()[0], 1);
        int slots = cache.slots(0);
        assertFalse(Arrays.equals(Arrays.copyOf(cache.store().sizes(0, 0), slots), Arrays.copyOf(cache.store().sizes(0, 1), slots)),
                "the two KV heads merged differently, so using the wrong head's sizes would show");
        float[] q = randomQueries(1, heads, d, 3.0, 23);
        float[] out = new float[heads * d];
        cache.store().attend(0, q, 1, heads, out);
        for (int g = 0; g < heads; g++) {
            int kv = g / 2;
            double[] ref = referenceAttention(q, g * d, cache.store().keys(0, kv), cache.store().values(0, kv), cache.store().logSizes(0, kv), slots, d);
            double[] wrong = referenceAttention(q, g * d, cache.store().keys(0, kv), cache.store().values(0, kv), cache.store().logSizes(0, 1 - kv), slots, d);
            double err = 0, wrongErr = 0;
            for (int c = 0; c < d; c++) {
                err = Math.max(err, Math.abs(out[g * d + c] - ref[c]));
                wrongErr = Math.max(wrongErr, Math.abs(out[g * d + c] - wrong[c]));
            }
            assertTrue(err < 1e-5, "query head " + g + " vs KV head " + kv + ": " + err);
            assertTrue(wrongErr > 1e-4, "query head " + g + " would differ with the other head's sizes");
        }
    }

    @Test
    void sameInputGivesABitwiseIdenticalCacheWhateverTheThreads() {
        KvLayout layout = layout(3, 4, 16);
        KvTestSupport.Tokens t = randomTokens(layout, 900, 31);
        float[] q = randomQueries(900, 4, 16, 1, 32);
        // The store attends and compresses on the threads it was made with.
        try (Parallel threads = new Parallel(3)) {
            KvCache<CpuKvStore> a = newCache(ratio("chelsea", 0.3, 64, 4, 64), layout, 4096);
            KvCache<CpuKvStore> b = newCache(ratio("chelsea", 0.3, 64, 4, 64), layout, 4096, threads);
            for (int from = 0; from < 900; from += 100) {
                KvTestSupport.Tokens batch = t.slice(layout, from, 100);
                float[] qb = Arrays.copyOfRange(q, from * 64, (from + 100) * 64);
                KvTestSupport.feedAttending(a, batch, qb, 4);
                KvTestSupport.feedAttending(b, batch, qb, 4);
                if (from == 500) {
                    a.endPrefill();
                    b.endPrefill();
                }
            }
            assertTrue(a.stats().compressions() > 2);
            for (int l = 0; l < 3; l++) {
                int n = a.slots(l);
                assertEquals(n, b.slots(l));
                for (int h = 0; h < 4; h++) {
                    assertArrayEquals(Arrays.copyOf(a.store().keys(l, h), n * 16), Arrays.copyOf(b.store().keys(l, h), n * 16));
                    assertArrayEquals(Arrays.copyOf(a.store().values(l, h), n * 16), Arrays.copyOf(b.store().values(l, h), n * 16));
                    assertArrayEquals(Arrays.copyOf(a.store().sizes(l, h), n), Arrays.copyOf(b.store().sizes(l, h), n));
                    assertArrayEquals(Arrays.copyOf(a.store().positions(l, h), n), Arrays.copyOf(b.store().positions(l, h), n));
                }
            }
        }
    }

    @Test
    void keptRatiosOfHalfQuarterAndFifthNeedOneTwoAndThreePasses() {
        KvLayout layout = layout(1, 2, 8);
        // Without protected tokens the whole cache is the compressible region: 1024 slots, 16 chunks of 64.
        int[] expected = {512, 256, 204};
        double[] ratios = {0.5, 0.25, 0.2};
        for (int i = 0; i < 3; i++) {
            KvCache<CpuKvStore> cache = prefilled(ratio("chelsea", ratios[i], 64, 0, 0), layout, 1024, 41);
            assertEquals(expected[i], cache.slots(0), "kept ratio " + ratios[i]);
            assertEquals(i + 1, ChunkedSoftMatching.schedule(1024, cache.budget(0), 64, false).size());
        }
        // With the default protected regions, the budget counts them too.
        KvCache<CpuKvStore> cache = prefilled(ratio("chelsea", 0.2, 64, 4, 64), layout, 4000, 42);
        assertEquals(800, cache.budget(0));
        assertTrue(cache.slots(0) <= 800 && cache.slots(0) > 800 - 64, "slots " + cache.slots(0));
        KvCache<CpuKvStore> exact = prefilled(ratio("chelsea", 0.2, 64, 4, 64).withGlobalTopK(true), layout, 4000, 42);
        assertEquals(800, exact.slots(0), "global ranking hits the budget exactly");
    }

    @Test
    void decodingCompressesOnlyOnceTheBudgetIsExceededByMoreThanAChunk() {
        KvLayout layout = layout(2, 2, 8);
        int chunk = 16;
        KvCache<CpuKvStore> cache = prefilled(ratio("chelsea", 0.5, chunk, 4, 16), layout, 400, 51);
        assertEquals(1, cache.stats().compressions());
        KvTestSupport.Tokens more = randomTokens(layout, 500, 52);
        int triggers = 0;
        for (int i = 0; i < 500; i++) {
            int before = cache.slots(0);
            long compressions = cache.stats().compressions();
            feed(cache, more.slice(layout, i, 1));
            int budget = cache.budget(0);
            if (before + 1 > budget + chunk) {
                triggers++;
                assertEquals(compressions + 1, cache.stats().compressions(), "step " + i);
                assertTrue(cache.slots(0) <= budget, "back within budget at step " + i);
            } else {
                assertEquals(compressions, cache.stats().compressions(), "no compression at step " + i);
                assertEquals(before + 1, cache.slots(0));
            }
            assertEquals(cache.slots(0), cache.slots(1));
        }
        assertTrue(triggers >= 5, "triggered " + triggers + " times");
    }

    @Test
    void noDecodeTimeCompressionBeforeThePromptEnds() {
        KvLayout layout = layout(1, 1, 8);
        KvCache<CpuKvStore> cache = newCache(ratio("chelsea", 0.2, 16, 4, 16), layout, 4096);
        for (int i = 0; i < 10; i++) {
            feed(cache, randomTokens(layout, 100, 60 + i));
        }
        assertEquals(1000, cache.slots(0), "the prompt's own attention sees all of it");
        cache.endPrefill();
        assertEquals(200, cache.budget(0));
        assertTrue(cache.slots(0) <= 200);
    }

    @Test
    void newTokensKeepTheirAbsolutePositions() {
        KvLayout layout = layout(1, 2, 8);
        KvCache<CpuKvStore> cache = prefilled(ratio("chelsea", 0.25, 16, 4, 16), layout, 300, 71);
        KvTestSupport.Tokens more = randomTokens(layout, 200, 72);
        for (int i = 0; i < 200; i++) {
            assertEquals(300 + i, cache.position());
            cache.store().append(0, more.slice(layout, i, 1).k()[0], more.slice(layout, i, 1).v()[0], 1);
            int last = cache.slots(0) - 1;
            assertEquals(300 + i, cache.store().positions(0, 0)[last]);
            assertEquals(300 + i, cache.store().positions(0, 1)[last]);
            cache.commit(1);
            for (int j = 1; j < cache.slots(0); j++) {
                assertTrue(cache.store().positions(0, 0)[j] > cache.store().positions(0, 0)[j - 1], "temporal order kept");
            }
        }
    }

    @Test
    void bytesAndStorageShrinkAfterCompression() {
        KvLayout layout = layout(2, 2, 32);
        KvCache<CpuKvStore> cache = newCache(ratio("chelsea", 0.2, 64, 4, 64), layout, 8192);
        feed(cache, randomTokens(layout, 4000, 81));
        KvStats before = cache.stats();
        int capacityBefore = cache.store().capacity(0);
        cache.endPrefill();
        KvStats after = cache.stats();
        assertEquals(4000, after.tokens());
        assertTrue(after.keyBytes() * 4 < before.keyBytes(), before + " -> " + after);
        assertEquals(after.keyBytes(), after.valueBytes());
        assertEquals((long) cache.slots(0) * 2 * 2 * 32 * Float.BYTES, after.keyBytes());
        assertEquals(before.totalBytes(), after.peakBytes(), "the peak remembers the prompt");
        assertTrue(after.savedFraction() > 0.79, "saved " + after.savedFraction());
        assertTrue(after.compressionNanos() > 0);
        assertTrue(cache.store().capacity(0) < capacityBefore / 3, "storage released: capacity " + cache.store().capacity(0));
        assertTrue(cache.store().capacity(0) <= cache.budget(0) + 2 * 64, "capacity " + cache.store().capacity(0) + " near budget " + cache.budget(0));
        KvTestSupport.Tokens more = randomTokens(layout, 2000, 82);
        for (int i = 0; i < 2000; i++) {
            feed(cache, more.slice(layout, i, 1));
            assertTrue(cache.store().capacity(0) <= cache.budget(0) + 3 * 64 + 1, "capacity " + cache.store().capacity(0) + " at budget " + cache.budget(0));
        }
    }

    @Test
    void pyramidBudgetsGiveLowerLayersMoreAndKeepTheTotal() {
        KvLayout layout = layout(4, 1, 8);
        KvCache<CpuKvStore> cache = prefilled(ratio("chelsea", 0.25, 16, 4, 16).withLayerBudgets("pyramid"), layout, 2000, 91);
        int total = 0;
        for (int l = 0; l < 4; l++) {
            assertTrue(cache.slots(l) <= cache.budget(l));
            if (l > 0) {
                assertTrue(cache.slots(l) < cache.slots(l - 1), "layer " + l + " keeps fewer than layer " + (l - 1));
            }
            total += cache.budget(l);
        }
        assertEquals(4 * 500, total, 2);
    }

    @Test
    void clearForgetsMergesAndPositions() {
        KvLayout layout = layout(1, 1, 8);
        KvCache<CpuKvStore> cache = prefilled(ratio("chelsea", 0.5, 16, 2, 8), layout, 200, 101);
        assertTrue(cache.store().attendsWithSizeBias(0));
        cache.clear();
        assertFalse(cache.store().attendsWithSizeBias(0));
        assertEquals(0, cache.position());
        assertEquals(0, cache.slots(0));
        feed(cache, randomTokens(layout, 10, 102));
        assertEquals(10, cache.slots(0));
    }
}
