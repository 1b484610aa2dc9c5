package dev.chelsea.engine.kv;

import dev.chelsea.engine.backend.cpu.CpuKvStore;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import static dev.chelsea.engine.kv.KvTestSupport.newCache;
import static dev.chelsea.engine.kv.KvTestSupport.config;
import static dev.chelsea.engine.kv.KvTestSupport.feed;
import static dev.chelsea.engine.kv.KvTestSupport.feedAttending;
import static dev.chelsea.engine.kv.KvTestSupport.layout;
import static dev.chelsea.engine.kv.KvTestSupport.randomQueries;
import static dev.chelsea.engine.kv.KvTestSupport.randomTokens;
import static dev.chelsea.engine.kv.KvTestSupport.ratio;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** StreamingLLM, H2O and SnapKV: exact budgets, protected regions, and selections recomputed in float64. */
class PeerKvCacheTest {
    private static final int D = 8;
    private static final int HEADS = 4;

    private static TreeSet<Integer> kept(KvCache<CpuKvStore> cache, int layer, int head) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int j = 0; j < cache.slots(layer); j++) {
            s.add(cache.store().positions(layer, head)[j]);
        }
        assertEquals(cache.slots(layer), s.size(), "no position held twice");
        return s;
    }

    /** Every slot still holds, bitwise, the key and value of the token at its position; the window is in order at the end. */
    private static void assertSlotsHoldTheirTokens(KvCache<CpuKvStore> cache, KvTestSupport.Tokens all, int window) {
        KvLayout layout = cache.layout();
        int row = layout.rowFloats();
        for (int l = 0; l < layout.layers(); l++) {
            int n = cache.slots(l);
            for (int h = 0; h < layout.kvHeads(); h++) {
                for (int j = 0; j < n; j++) {
                    int p = cache.store().positions(l, h)[j];
                    assertArrayEquals(Arrays.copyOfRange(all.k()[l], p * row + h * D, p * row + h * D + D),
                            Arrays.copyOfRange(cache.store().keys(l, h), j * D, j * D + D), "key of slot " + j);
                    assertArrayEquals(Arrays.copyOfRange(all.v()[l], p * row + h * D, p * row + h * D + D),
                            Arrays.copyOfRange(cache.store().values(l, h), j * D, j * D + D), "value of slot " + j);
                }
                for (int w = 0; w < Math.min(window, n); w++) {
                    assertEquals(cache.position() - window + w, cache.store().positions(l, h)[n - window + w], "window slot " + w);
                }
            }
        }
    }

    @Test
    void streamingKeepsSinksAndTheNewestTokensAtExactlyItsBudget() {
        KvLayout layout = layout(2, 2, D);
        int sinks = 4, window = 8, prompt = 100, steps = 300;
        KvTestSupport.Tokens all = randomTokens(layout, prompt + steps, 1);
        KvCache<CpuKvStore> cache = newCache(ratio("streaming", 0.3, 16, sinks, window), layout, 1024);
        feed(cache, all.slice(layout, 0, prompt));
        cache.endPrefill();
        for (int i = 0; i <= steps; i++) {
            int pos = cache.position();
            int budget = cache.budget(0);
            assertEquals(budget, cache.slots(0), "exactly the budget at " + pos);
            TreeSet<Integer> expected = new TreeSet<>();
            for (int s = 0; s < sinks; s++) {
                expected.add(s);
                assertEquals(s, cache.store().positions(0, 0)[s], "sinks never move");
            }
            for (int p = pos - (budget - sinks); p < pos; p++) {
                expected.add(p);
            }
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 2; h++) {
                    assertEquals(expected, kept(cache, l, h));
                }
            }
            if (i % 50 == 0) {
                assertSlotsHoldTheirTokens(cache, all, window);
            }
            if (i < steps) {
                feed(cache, all.slice(layout, prompt + i, 1));
            }
        }
    }

    /** Attention of each query head over the given entries, in float64, summed over the group of {@code head}. */
    private static double[] groupAttention(float[] q, int qOff, float[] keys, int slots, int head) {
        int group = HEADS / 2;
        double[] w = new double[slots];
        for (int g = 0; g < group; g++) {
            int off = qOff + (head * group + g) * D;
            double[] logits = new double[slots];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < slots; j++) {
                double s = 0;
                for (int c = 0; c < D; c++) {
                    s += (double) q[off + c] * keys[j * D + c];
                }
                logits[j] = s / Math.sqrt(D);
                max = Math.max(max, logits[j]);
            }
            for (int j = 0; j < slots; j++) {
                logits[j] = Math.exp(logits[j] - max);
                sum += logits[j];
            }
            for (int j = 0; j < slots; j++) {
                w[j] += logits[j] / sum;
            }
        }
        return w;
    }

    /** The original keys of one layer and KV head, {@code [n][D]}. */
    private static float[] headKeys(KvTestSupport.Tokens t, int layer, int head, int n) {
        float[] k = new float[n * D];
        for (int p = 0; p < n; p++) {
            System.arraycopy(t.k()[layer], p * 2 * D + head * D, k, p * D, D);
        }
        return k;
    }

    private static List<Integer> topByScore(double[] score, int from, int to, int k) {
        List<Integer> idx = new ArrayList<>();
        for (int j = from; j < to; j++) {
            idx.add(j);
        }
        idx.sort((a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : Integer.compare(a, b));
        return idx.subList(0, k);
    }

    @Test
    void h2oKeepsTheHeavyHittersAndTheWindowAndEvictsTheLightestEveryStep() {
        KvLayout layout = layout(2, 2, D);
        int window = 8, prompt = 120, budget = 40, steps = 40;
        KvTestSupport.Tokens all = randomTokens(layout, prompt + steps, 11);
        float[] q = randomQueries(prompt + steps, HEADS, D, 2.0, 12);
        int qRow = HEADS * D;
        KvCache<CpuKvStore> cache = newCache(config("h2o", budget, 16, 0, window), layout, 1024);
        feedAttending(cache, all.slice(layout, 0, 60), Arrays.copyOfRange(q, 0, 60 * qRow), HEADS);
        feedAttending(cache, all.slice(layout, 60, 60), Arrays.copyOfRange(q, 60 * qRow, 120 * qRow), HEADS);
        cache.endPrefill();
        for (int l = 0; l < 2; l++) {
            for (int h = 0; h < 2; h++) {
                float[] k = headKeys(all, l, h, prompt + steps);
                double[] score = new double[prompt + steps];
                for (int i = 0; i < prompt; i++) {
                    double[] w = groupAttention(q, i * qRow, k, i + 1, h);
                    for (int j = 0; j <= i; j++) {
                        score[j] += w[j];
                    }
                }
                TreeSet<Integer> expected = new TreeSet<>(topByScore(score, 0, prompt - window, budget - window));
                for (int p = prompt - window; p < prompt; p++) {
                    expected.add(p);
                }
                assertEquals(expected, kept(cache, l, h), "prompt selection of layer " + l + " head " + h);
            }
        }
        // Decoding: the reference adds each query's attention over what the cache holds, then drops the lightest.
        double[][] score = new double[4][prompt + steps];
        for (int i = 0; i < prompt; i++) {
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 2; h++) {
                    double[] w = groupAttention(q, i * qRow, headKeys(all, l, h, i + 1), i + 1, h);
                    for (int j = 0; j <= i; j++) {
                        score[l * 2 + h][j] += w[j];
                    }
                }
            }
        }
        for (int i = prompt; i < prompt + steps; i++) {
            List<TreeSet<Integer>> expected = new ArrayList<>();
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 2; h++) {
                    TreeSet<Integer> held = kept(cache, l, h);
                    held.add(i);
                    float[] k = new float[held.size() * D];
                    int s = 0;
                    for (int p : held) {
                        System.arraycopy(all.k()[l], p * 2 * D + h * D, k, s++ * D, D);
                    }
                    double[] w = groupAttention(q, i * qRow, k, held.size(), h);
                    s = 0;
                    for (int p : held) {
                        score[l * 2 + h][p] += w[s++];
                    }
                    int victim = -1;
                    for (int p : held) {
                        if (p < i + 1 - window && (victim < 0 || score[l * 2 + h][p] < score[l * 2 + h][victim])) {
                            victim = p;
                        }
                    }
                    held.remove(victim);
                    expected.add(held);
                }
            }
            feedAttending(cache, all.slice(layout, i, 1), Arrays.copyOfRange(q, i * qRow, (i + 1) * qRow), HEADS);
            assertEquals(budget, cache.slots(0));
            assertEquals(budget, cache.slots(1));
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 2; h++) {
                    assertEquals(expected.get(l * 2 + h), kept(cache, l, h), "step " + i + " layer " + l + " head " + h);
                }
            }
        }
        assertSlotsHoldTheirTokens(cache, all, window);
    }

    @Test
    void snapKvKeepsWhatTheObservationWindowVotesForPooledOverNeighbours() {
        KvLayout layout = layout(2, 2, D);
        int window = 16, prompt = 150, budget = 50;
        KvTestSupport.Tokens all = randomTokens(layout, prompt, 21);
        float[] q = randomQueries(prompt, HEADS, D, 2.0, 22);
        int qRow = HEADS * D;
        KvCache<CpuKvStore> cache = newCache(config("snapkv", budget, 16, 0, window), layout, 1024);
        // The observation window straddles two batches.
        feedAttending(cache, all.slice(layout, 0, 140), Arrays.copyOfRange(q, 0, 140 * qRow), HEADS);
        feedAttending(cache, all.slice(layout, 140, 10), Arrays.copyOfRange(q, 140 * qRow, 150 * qRow), HEADS);
        cache.endPrefill();
        assertEquals(budget, cache.slots(0));
        for (int l = 0; l < 2; l++) {
            for (int h = 0; h < 2; h++) {
                float[] k = headKeys(all, l, h, prompt);
                double[] votes = new double[prompt];
                for (int i = prompt - window; i < prompt; i++) {
                    double[] w = groupAttention(q, i * qRow, k, i + 1, h);
                    for (int j = 0; j < prompt - window; j++) {
                        votes[j] += w[j];
                    }
                }
                double[] pooled = new double[prompt - window];
                for (int j = 0; j < pooled.length; j++) {
                    pooled[j] = Double.NEGATIVE_INFINITY;
                    for (int t = Math.max(0, j - 3); t <= Math.min(pooled.length - 1, j + 3); t++) {
                        pooled[j] = Math.max(pooled[j], votes[t]);
                    }
                }
                TreeSet<Integer> expected = new TreeSet<>(topByScore(pooled, 0, pooled.length, budget - window));
                for (int p = prompt - window; p < prompt; p++) {
                    expected.add(p);
                }
                assertEquals(expected, kept(cache, l, h), "prompt vote of layer " + l + " head " + h);
            }
        }
        assertSlotsHoldTheirTokens(cache, all, window);
    }

    @Test
    void snapKvReVotesDuringDecodingAtTheChunkTriggerAndReturnsToItsBudget() {
        KvLayout layout = layout(1, 2, D);
        int window = 8, chunk = 16, prompt = 100, steps = 200;
        KvTestSupport.Tokens all = randomTokens(layout, prompt + steps, 31);
        float[] q = randomQueries(prompt + steps, HEADS, D, 2.0, 32);
        int qRow = HEADS * D;
        KvCache<CpuKvStore> cache = newCache(ratio("snapkv", 0.3, chunk, 0, window), layout, 1024);
        feedAttending(cache, all.slice(layout, 0, prompt), Arrays.copyOfRange(q, 0, prompt * qRow), HEADS);
        cache.endPrefill();
        assertEquals(cache.budget(0), cache.slots(0));
        int votes = 0;
        for (int i = prompt; i < prompt + steps; i++) {
            long before = cache.stats().compressions();
            int held = cache.slots(0);
            feedAttending(cache, all.slice(layout, i, 1), Arrays.copyOfRange(q, i * qRow, (i + 1) * qRow), HEADS);
            if (cache.stats().compressions() > before) {
                votes++;
                assertTrue(held + 1 > cache.budget(0) + chunk, "re-voted only past budget + chunk");
                assertEquals(cache.budget(0), cache.slots(0), "exactly the budget after a vote");
            } else {
                assertEquals(held + 1, cache.slots(0));
                assertTrue(cache.slots(0) <= cache.budget(0) + chunk);
            }
        }
        assertTrue(votes >= 3, "re-voted " + votes + " times");
        assertSlotsHoldTheirTokens(cache, all, window);
    }

    @Test
    void everyEvictingPolicyHoldsTheSameSlotsInEveryHeadOfALayer() {
        KvLayout layout = layout(3, 4, D);
        for (String policy : List.of("streaming", "h2o", "snapkv")) {
            KvCache<CpuKvStore> cache = newCache(ratio(policy, 0.25, 16, 4, 16).withLayerBudgets("pyramid"), layout, 2048);
            KvTestSupport.Tokens t = randomTokens(layout, 400, 41);
            float[] q = randomQueries(400, 8, D, 1.0, 42);
            feedAttending(cache, t.slice(layout, 0, 300), Arrays.copyOf(q, 300 * 8 * D), 8);
            cache.endPrefill();
            KvTestSupport.decode(cache, t.slice(layout, 300, 100), Arrays.copyOfRange(q, 300 * 8 * D, 400 * 8 * D), 8);
            KvCache<CpuKvStore> b = cache;
            int slack = KvPolicies.create(ratio(policy, 0.25, 16, 4, 16), 3).slack();
            for (int l = 0; l < 3; l++) {
                assertTrue(b.slots(l) <= b.budget(l) + slack, policy + " layer " + l);
                for (int h = 0; h < 4; h++) {
                    assertEquals(b.slots(l), kept(b, l, h).size());
                }
            }
            assertTrue(b.slots(0) > b.slots(2), policy + ": the pyramid gives the first layer more");
            assertSlotsHoldTheirTokens(b, t, 16);
        }
    }
}
