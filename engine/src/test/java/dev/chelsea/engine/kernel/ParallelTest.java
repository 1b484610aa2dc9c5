package dev.chelsea.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {

    /** Every index of every job is visited exactly once, across many back-to-back jobs of varied sizes and grains. */
    @Test
    void everyIndexOnceAcrossManyJobs() {
        try (Parallel parallel = new Parallel(3)) {
            for (int job = 0; job < 2_000; job++) {
                int n = 1 + (job * 37) % 301;
                int grain = 1 + job % 17;
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                parallel.forRange(n, grain, (from, to) -> {
                    assertTrue(from < to, "empty range handed out");
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "index " + i + " of job " + job + " (n=" + n + ", grain=" + grain + ")");
                }
            }
        }
    }

    @Test
    void rangesAreMultiplesOfTheGrain() {
        try (Parallel parallel = new Parallel(2)) {
            List<int[]> ranges = java.util.Collections.synchronizedList(new ArrayList<>());
            parallel.forRange(1000, 16, (from, to) -> ranges.add(new int[]{from, to}));
            for (int[] r : ranges) {
                assertEquals(0, r[0] % 16, "range starts at " + r[0]);
                assertTrue(r[1] == 1000 || r[1] % 16 == 0, "range ends at " + r[1]);
            }
        }
    }

    /**
     * Each thread's range is cut in halves down to one grain, so that the parts a thread that is
     * done first can take from the other's back are small: 800 indexes on two threads give each
     * 200, 100, 50, 25, 13, 6, 3, 2 and 1; in grains of 16 (31 a thread, so five parts), the cuts
     * are rounded down to whole grains; and no thread gets more than ten parts.
     */
    @Test
    void partsHalveAlongEachThreadsRange() {
        assertEquals(List.of(200, 100, 50, 25, 13, 6, 3, 2, 1, 200, 100, 50, 25, 13, 6, 3, 2, 1), partSizes(2, 800, 1));
        assertEquals(List.of(240, 128, 64, 32, 32, 240, 128, 64, 32, 40), partSizes(2, 1000, 16));
        List<Integer> large = partSizes(2, 1 << 20, 1);
        assertEquals(20, large.size(), "ten parts a thread at most: " + large);
        assertEquals(1 << 18, large.getFirst());
        assertEquals(1 << 10, large.get(9));
        assertEquals(List.of(1, 1, 1), partSizes(3, 3, 1));
    }

    private static List<Integer> partSizes(int threads, int n, int grain) {
        try (Parallel parallel = new Parallel(threads)) {
            List<int[]> ranges = java.util.Collections.synchronizedList(new ArrayList<>());
            parallel.forRange(n, grain, (from, to) -> ranges.add(new int[]{from, to}));
            ranges.sort(java.util.Comparator.comparingInt(r -> r[0]));
            List<Integer> sizes = new ArrayList<>();
            int at = 0;
            for (int[] r : ranges) {
                assertEquals(at, r[0], "ranges are contiguous");
                sizes.add(r[1] - r[0]);
                at = r[1];
            }
            assertEquals(n, at);
            return sizes;
        }
    }

    @Test
    void aFailingTaskFailsTheCallAndThePoolStaysUsable() {
        try (Parallel parallel = new Parallel(2)) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                    () -> parallel.forEach(64, i -> {
                        if (i == 63) {
                            throw boom;
                        }
                    }));
            assertSame(boom, thrown);
            AtomicIntegerArray hits = new AtomicIntegerArray(64);
            parallel.forEach(64, hits::incrementAndGet);
            for (int i = 0; i < 64; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    /** Sessions generating at once share a model's pool: each call must still see all of its own work done. */
    @Test
    void concurrentCallersAndNestedCallsEachGetTheirWholeRange() throws Exception {
        try (Parallel parallel = new Parallel(2); ExecutorService callers = Executors.newFixedThreadPool(4)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                futures.add(callers.submit(() -> {
                    for (int job = 0; job < 300; job++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(40 * 8);
                        parallel.forEach(40, i -> parallel.forRange(8, 1, (from, to) -> {
                            for (int j = from; j < to; j++) {
                                hits.incrementAndGet(i * 8 + j);
                            }
                        }));
                        for (int i = 0; i < hits.length(); i++) {
                            assertEquals(1, hits.get(i), "index " + i);
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
    }

    /**
     * Each thread streams one contiguous range (the caller the first, the worker the second), so
     * that a product reads one run of memory per thread; parts of 50 ms leave the worker 200 ms to
     * wake and start on its own range before the caller could reach it.
     */
    @Test
    void eachThreadRunsItsOwnContiguousRangeFrontToBack() {
        try (Parallel parallel = new Parallel(2)) {
            Thread caller = Thread.currentThread();
            List<Integer> mine = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Integer> worker = java.util.Collections.synchronizedList(new ArrayList<>());
            parallel.forRange(800, 1, (from, to) -> {
                (Thread.currentThread() == caller ? mine : worker).add(from);
                sleep(50);
            });
            assertEquals(List.of(0, 200, 300, 350), mine.subList(0, Math.min(4, mine.size())), "caller's parts " + mine);
            assertEquals(400, worker.getFirst(), "worker's parts " + worker);
            assertTrue(worker.size() >= 2 && worker.get(1) == 600, "worker's parts " + worker);
        }
    }

    /** A thread that finishes first takes the other's parts from the back, away from where that one is reading. */
    @Test
    void aThreadThatFinishesFirstTakesPartsFromTheBackOfTheOthersRange() {
        try (Parallel parallel = new Parallel(2)) {
            Thread caller = Thread.currentThread();
            List<Integer> mine = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicIntegerArray hits = new AtomicIntegerArray(800);
            parallel.forRange(800, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
                if (Thread.currentThread() == caller) {
                    mine.add(from);
                } else {
                    sleep(300);
                }
            });
            for (int i = 0; i < 800; i++) {
                assertEquals(1, hits.get(i), "index " + i);
            }
            // Its own nine parts, then (the worker busy on 400) the worker's from the back, smallest first.
            assertEquals(List.of(0, 200, 300, 350, 375, 388, 394, 397, 399, 799, 797, 794, 788), mine.subList(0, Math.min(13, mine.size())),
                    "caller's parts " + mine);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void rejectsFewerThanOneThread() {
        assertThrows(IllegalArgumentException.class, () -> new Parallel(0));
    }
}
