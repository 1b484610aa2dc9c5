package dev.chelsea.engine.kv;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkedSoftMatchingTest {

    private static float[] randomKeys(int n, int d, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] k = new float[n * d];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) KvTestSupport.gaussian(rnd);
        }
        return k;
    }

    private static double cosine(float[] k, int a, int b, int d) {
        double ab = 0, aa = 0, bb = 0;
        for (int c = 0; c < d; c++) {
            ab += (double) k[a * d + c] * k[b * d + c];
            aa += (double) k[a * d + c] * k[a * d + c];
            bb += (double) k[b * d + c] * k[b * d + c];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void schedulesOneTwoAndThreePassesForHalfQuarterAndFifth() {
        assertEquals(List.of(new ChunkedSoftMatching.Pass(16, 32, 512)), ChunkedSoftMatching.schedule(1024, 512, 64, false));
        assertEquals(List.of(new ChunkedSoftMatching.Pass(16, 32, 512), new ChunkedSoftMatching.Pass(8, 32, 256)),
                ChunkedSoftMatching.schedule(1024, 256, 64, false));
        // 0.2 of 1024 rounds up to 205: 512 + 256 merges, then 51 left over 4 chunks: 13 each, one too many.
        assertEquals(List.of(new ChunkedSoftMatching.Pass(16, 32, 512), new ChunkedSoftMatching.Pass(8, 32, 256),
                new ChunkedSoftMatching.Pass(4, 13, 52)), ChunkedSoftMatching.schedule(1024, 205, 64, false));
        // Ranked globally, the last pass removes exactly what is left.
        assertEquals(new ChunkedSoftMatching.Pass(4, -1, 51), ChunkedSoftMatching.schedule(1024, 205, 64, true).get(2));
    }

    @Test
    void scheduleNeverTakesMoreThanHalfOfAChunkAndStopsWithoutWholeChunks() {
        for (int m : new int[] {0, 1, 63, 64, 65, 200, 1000, 4093}) {
            for (int c : new int[] {2, 3, 7, 16, 64}) {
                for (int target : new int[] {0, 1, m / 5, m / 2, m}) {
                    int left = m;
                    for (ChunkedSoftMatching.Pass p : ChunkedSoftMatching.schedule(m, target, c, false)) {
                        assertEquals(left / c, p.chunks());
                        assertTrue(p.perChunk() >= 1 && p.perChunk() <= c / 2, "r=" + p.perChunk() + " for c=" + c);
                        left -= p.merges();
                    }
                    assertTrue(left >= Math.min(target, m) - (m / c), "overshoot bounded by one merge per chunk");
                    assertTrue(left <= target || left / c == 0, "stops only at the target or without whole chunks: m=" + m
                            + " c=" + c + " target=" + target + " left=" + left);
                }
            }
        }
    }

    @Test
    void mergesStayInsideChunksFromEvenSourcesToOddDestinations() {
        int d = 16, c = 16, m = 16 * 7 + 5;   // a tail of 5 slots must stay alone
        float[] keys = randomKeys(m + 3, d, 1);
        ChunkedSoftMatching csm = new ChunkedSoftMatching(c, d);
        int[] dest = new int[m];
        ChunkedSoftMatching.Pass pass = new ChunkedSoftMatching.Pass(7, 6, 42);
        assertEquals(42, csm.plan(keys, 3, m, pass, dest));
        int[] perChunk = new int[8];
        for (int i = 0; i < m; i++) {
            if (dest[i] < 0) {
                continue;
            }
            assertEquals(i / c, dest[i] / c, "merge " + i + " -> " + dest[i] + " crosses a chunk boundary");
            assertTrue(i < 7 * c, "the tail must not merge");
            assertEquals(0, i % 2, "sources have even local index");
            assertEquals(1, dest[i] % 2, "destinations have odd local index");
            assertTrue(dest[dest[i]] < 0, "a destination is never a source");
            perChunk[i / c]++;
        }
        for (int ch = 0; ch < 7; ch++) {
            assertEquals(6, perChunk[ch]);
        }
    }

    @Test
    void eachSourceMergesIntoItsMostSimilarDestinationAndTheBestEdgesWin() {
        int d = 8, c = 10, from = 2, m = 30;
        float[] keys = randomKeys(from + m, d, 7);
        int[] dest = new int[m];
        new ChunkedSoftMatching(c, d).plan(keys, from, m, new ChunkedSoftMatching.Pass(3, 2, 6), dest);
        for (int ch = 0; ch < 3; ch++) {
            double[] best = new double[c / 2];
            int[] arg = new int[c / 2];
            for (int a = 0; a < c / 2; a++) {
                best[a] = Double.NEGATIVE_INFINITY;
                for (int b = 1; b < c; b += 2) {
                    double s = cosine(keys, from + ch * c + 2 * a, from + ch * c + b, d);
                    if (s > best[a]) {
                        best[a] = s;
                        arg[a] = b;
                    }
                }
            }
            double weakestMerged = Double.POSITIVE_INFINITY, strongestKept = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < c / 2; a++) {
                int slot = ch * c + 2 * a;
                if (dest[slot] >= 0) {
                    assertEquals(ch * c + arg[a], dest[slot], "source " + slot + " picks its most similar destination");
                    weakestMerged = Math.min(weakestMerged, best[a]);
                } else {
                    strongestKept = Math.max(strongestKept, best[a]);
                }
            }
            assertTrue(weakestMerged >= strongestKept - 1e-6, "the top-r edges of chunk " + ch + " are merged");
        }
    }

    @Test
    void oddChunksGiveTheExtraSlotToTheDestinations() {
        int d = 4, c = 5;
        // Slot 4 (even, but the odd chunk's extra) is the only close match of slot 2.
        float[] keys = {
                1, 0, 0, 0,   0, 1, 0, 0,   0, 0, 1, 0,   0, -1, 0, 0,   0, 0.1f, 1, 0};
        ChunkedSoftMatching csm = new ChunkedSoftMatching(c, d);
        int[] dest = new int[5];
        csm.plan(keys, 0, 5, new ChunkedSoftMatching.Pass(1, 2, 2), dest);
        assertEquals(4, dest[2], "slot 2 merges into the extra destination slot 4");
        assertEquals(-1, dest[4], "the extra slot is a destination, never a source");
        assertEquals(4, csm.destinationSlot(2));
        assertThrows(IllegalArgumentException.class,
                () -> csm.plan(keys, 0, 5, new ChunkedSoftMatching.Pass(1, 3, 3), dest), "at most floor(c/2) merges per chunk");
    }

    @Test
    void globalRankingTakesTheBestEdgesAcrossChunks() {
        int d = 8, c = 8, m = 64;
        float[] keys = randomKeys(m, d, 3);
        // Chunk 5 is made of near duplicates, so its edges must win a global ranking.
        for (int i = 41; i < 48; i += 2) {
            for (int k = 0; k < d; k++) {
                keys[(i - 1) * d + k] = keys[i * d + k] * 1.5f + 0.001f * k;
            }
        }
        int[] dest = new int[m];
        int merges = new ChunkedSoftMatching(c, d).plan(keys, 0, m, new ChunkedSoftMatching.Pass(8, -1, 4), dest);
        assertEquals(4, merges);
        int[] expected = new int[m];
        java.util.Arrays.fill(expected, -1);
        for (int i = 40; i < 48; i += 2) {
            expected[i] = i + 1;
        }
        assertArrayEquals(expected, dest);
    }

    @Test
    void planIsDeterministic() {
        int d = 32, c = 64, m = 640;
        float[] keys = randomKeys(m, d, 11);
        int[] a = new int[m], b = new int[m];
        ChunkedSoftMatching.Pass pass = new ChunkedSoftMatching.Pass(10, 17, 170);
        new ChunkedSoftMatching(c, d).plan(keys, 0, m, pass, a);
        ChunkedSoftMatching reused = new ChunkedSoftMatching(c, d);
        reused.plan(randomKeys(m, d, 12), 0, m, pass, b);
        reused.plan(keys, 0, m, pass, b);
        assertArrayEquals(a, b);
    }

    @Test
    void zeroKeysDoNotProduceNaN() {
        float[] y = new float[4];
        ChunkedSoftMatching.normalise(new float[4], 0, y, 0, 4);
        assertArrayEquals(new float[4], y);
    }
}
