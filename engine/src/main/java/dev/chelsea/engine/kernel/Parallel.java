package dev.chelsea.engine.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The worker threads of one loaded model. Work is split into as many contiguous ranges as there are
 * threads, so that each thread streams its own slice of a weight matrix.
 */
public final class Parallel implements AutoCloseable {
    /** Does work on the range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    /** The default: one thread per available processor. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} over {@code [0, n)}, split into contiguous ranges; ranges are multiples of {@code grain} where possible. */
    public void forRange(int n, int grain, RangeTask task) {
        if (n <= 0) {
            return;
        }
        int parts = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (parts == 1 || pool == null) {
            task.run(0, n);
            return;
        }
        pool.invoke(new Split(task, n, parts, grain, 0, parts));
    }

    /** Runs {@code body} for every index in {@code [0, n)}, in parallel. */
    public void forEach(int n, IntConsumer body) {
        forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                body.accept(i);
            }
        });
    }

    private static int boundary(int n, int parts, int grain, int k) {
        if (k >= parts) {
            return n;
        }
        long b = (long) n * k / parts;
        if (grain > 1) {
            b = b / grain * grain;
        }
        return (int) b;
    }

    private static final class Split extends RecursiveAction {
        final RangeTask task;
        final int n, parts, grain, lo, hi;

        Split(RangeTask task, int n, int parts, int grain, int lo, int hi) {
            this.task = task;
            this.n = n;
            this.parts = parts;
            this.grain = grain;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                int from = boundary(n, parts, grain, lo);
                int to = boundary(n, parts, grain, hi);
                if (from < to) {
                    task.run(from, to);
                }
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Split(task, n, parts, grain, lo, mid), new Split(task, n, parts, grain, mid, hi));
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
