package dev.chelsea.engine.kernel;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The worker threads of one loaded model. A decode step runs over a hundred short parallel
 * products, some of only tens of microseconds, so handing out work must cost far less than that:
 * the calling thread works too, idle workers spin for a moment before they park (waking a parked
 * thread costs as much as a small product), and each thread reads one contiguous range but a
 * thread that finishes early takes parts from the others' (see {@link Job}), so a worker that is
 * slow to wake never delays the caller, which takes its parts itself.
 *
 * <p>One job runs at a time. A caller that finds the workers busy with another caller's job (two
 * sessions generating at once), or that calls from inside a task, runs its whole range on its own
 * thread: with as many sessions as cores that is the right split anyway.
 */
public final class Parallel implements AutoCloseable {
    /** Does work on the range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    /**
     * Most parts per thread. A thread's range is split in halves down to about one grain (1/2,
     * 1/4, ..., 1/2^(p-1), 1/2^(p-1) of it), so that a thread streams most of its range in a few long
     * parts and a thread that finishes first takes the small ones from the other's back. In equal
     * quarters the caller ended a Q4_K_M decode step's products waiting for the worker's last
     * quarter: 0.8-1.7 ms of a 24-30 ms step, 5-8% of each product (the worker's parts ran a few
     * percent longer than the caller's, and a part in progress cannot be shared); see
     * {@code docs/performance.md}. Ten levels end a thread's half of a 128K-row output matrix in
     * parts of about 10 microseconds.
     */
    private static final int MAX_PARTS_PER_THREAD = 10;
    /** How long an idle worker spins before it parks: longer than the gaps between the products of a decode step. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(300);

    private final int threads;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closed;
    /** The latest job; workers run parts of each new one they see. */
    private volatile Job current;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].thread.start();
        }
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
        int g = Math.max(1, grain);
        int perThread = partsPerThread(Math.max(1, n / g) / threads);
        int parts = Math.min(threads * perThread, Math.max(1, n / g));
        if (parts == 1 || workers.length == 0 || closed || !busy.compareAndSet(false, true)) {
            task.run(0, n);
            return;
        }
        try {
            Job job = new Job(task, n, parts, g, threads, perThread);
            current = job;
            for (Worker w : workers) {
                if (w.parked) {
                    LockSupport.unpark(w.thread);
                }
            }
            job.runParts(0);
            job.await();
            current = null;
            job.rethrow();
        } finally {
            busy.set(false);
        }
    }

    /** One part per halving of {@code grains} grains, down to one grain, at most {@link #MAX_PARTS_PER_THREAD}. */
    static int partsPerThread(int grains) {
        return grains < 1 ? 1 : Math.min(MAX_PARTS_PER_THREAD, 32 - Integer.numberOfLeadingZeros(grains));
    }

    /** Runs {@code body} for every index in {@code [0, n)}, in parallel. */
    public void forEach(int n, IntConsumer body) {
        forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                body.accept(i);
            }
        });
    }

    /**
     * One call's work: {@code parts} parts in contiguous ranges, one range per thread. A thread
     * runs its own range front to back, then takes parts from the backs of the others' ranges.
     * Claimed one by one from a shared counter instead, the threads' parts interleaved in memory,
     * and every part restarted the stream that the hardware prefetcher follows: cycling through
     * 64 distinct 2048 x 2048 Q4_K matrices on two threads, 25-27 GB/s with 16 parts per thread,
     * 22-33 with 4 and 25-40 with 1 (one range each; mostly 32.5 and 38-40), where one matrix of
     * the same 302 MB streams at 38-47 (AMD EPYC, 2026-12-05). A decode step is over a hundred
     * such products.
     *
     * <p>A worker may still hold a finished job when the next one starts; it finds no part left
     * to claim in it, so jobs never mix.
     */
    private static final class Job {
        final RangeTask task;
        final int n, parts, grain, threads, perThread;
        /** Whether each thread's parts halve in size along its range (else, with fewer grains than parts, they are equal). */
        final boolean halving;
        /** Per thread, the parts it has not started: {@code front << 32 | back}. */
        final AtomicLongArray ranges;
        final AtomicInteger donePart = new AtomicInteger();
        volatile Throwable failure;

        Job(RangeTask task, int n, int parts, int grain, int threads, int perThread) {
            this.task = task;
            this.n = n;
            this.parts = parts;
            this.grain = grain;
            this.threads = threads;
            this.perThread = perThread;
            this.halving = parts == threads * perThread;
            this.ranges = new AtomicLongArray(threads);
            for (int i = 0; i < threads; i++) {
                ranges.set(i, (long) (parts * i / threads) << 32 | (parts * (i + 1) / threads));
            }
        }

        /** Runs thread {@code self}'s range, then helps with the others' until no part is left. */
        void runParts(int self) {
            for (int p; (p = claim(self, true)) >= 0; ) {
                run(p);
            }
            int threads = ranges.length();
            for (int i = 1; i < threads; i++) {
                int other = (self + i) % threads;
                for (int p; (p = claim(other, false)) >= 0; ) {
                    run(p);
                }
            }
        }

        /** The next part at the front (or the back) of range {@code r}, or -1 if none is left. */
        private int claim(int r, boolean front) {
            while (true) {
                long s = ranges.get(r);
                int f = (int) (s >>> 32), b = (int) s;
                if (f >= b) {
                    return -1;
                }
                long next = front ? (long) (f + 1) << 32 | b : (long) f << 32 | (b - 1);
                if (ranges.compareAndSet(r, s, next)) {
                    return front ? f : b - 1;
                }
            }
        }

        private void run(int p) {
            try {
                int from = boundary(p), to = boundary(p + 1);
                if (from < to) {
                    task.run(from, to);
                }
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
            } finally {
                donePart.incrementAndGet();
            }
        }

        void await() {
            for (int spins = 0; donePart.get() < parts; spins++) {
                if (spins < 1 << 16) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void rethrow() {
            Throwable f = failure;
            if (f instanceof RuntimeException e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
            if (f != null) {
                throw new IllegalStateException(f);
            }
        }

        /** Where part {@code k} starts (part {@code parts} starts at {@code n}). */
        private int boundary(int k) {
            if (k >= parts) {
                return n;
            }
            long b;
            if (halving) {
                // Part j of a thread's range [s, e) starts where all but (e - s) / 2^j of it is done.
                int t = k / perThread, j = k % perThread;
                long s = (long) n * t / threads, e = (long) n * (t + 1) / threads;
                b = e - ((e - s) >> j);
            } else {
                b = (long) n * k / parts;
            }
            if (grain > 1) {
                b = b / grain * grain;
            }
            return (int) b;
        }
    }

    private final class Worker implements Runnable {
        final Thread thread;
        /** This worker's range in every job (the caller's is 0). */
        final int index;
        volatile boolean parked;

        Worker(int index) {
            this.index = index;
            thread = new Thread(this, "chelsea-worker-" + index);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            Job seen = null;
            while (!closed) {
                Job job = current;
                if (job != null && job != seen) {
                    seen = job;
                    job.runParts(index);
                    continue;
                }
                long idleSince = System.nanoTime();
                while (current == job && !closed && System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                }
                if (current == job && !closed) {
                    parked = true;
                    // Re-check after announcing: a caller that published its job before it saw
                    // the flag is seen here, one that published after unparks this thread.
                    if (current == job && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }
}
