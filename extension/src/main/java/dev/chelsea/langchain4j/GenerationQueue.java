package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.CancellationToken;
import dev.chelsea.engine.generate.GenerationRequest;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Admission control for one loaded model: a fixed number of generations run at once on their own
 * threads, a bounded number wait, and the rest are refused at once. A request is admitted only if
 * the model's file is as it was loaded and the KV budget of its memory ({@link KvMemory}) can hold
 * what it may use ({@link KvDemand}); it keeps that reservation while it waits and runs. Every
 * request gets its own engine session, so the only state shared between requests is the
 * (thread-safe) model.
 */
public final class GenerationQueue implements AutoCloseable {
    /** How long cancelled generations get to stop once a drain's grace period is over: they stop before their next token. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);
    /**
     * Takes a waiting request out of the queue when its deadline passes, so that its caller hears
     * at once and its place and reservation are free (without it, a request whose time ran out
     * waited until a slot freed: a 504 due after 0.9 s came after 12 s behind a long answer).
     */
    private static final ScheduledThreadPoolExecutor EXPIRY = expiry();

    private static ScheduledThreadPoolExecutor expiry() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "chelsea-queue-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        // a request that starts in time cancels its expiry: the timer keeps nothing for it
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    private final String modelName;
    private final QueueOptions options;
    private final LoadedModel loaded;
    private final ThreadPoolExecutor executor;
    private final Set<CancellationToken> admitted = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private final Object idle = new Object();
    private volatile boolean draining;

    GenerationQueue(String modelName, QueueOptions options, LoadedModel loaded) {
        this.modelName = modelName;
        this.options = options;
        this.loaded = loaded;
        BlockingQueue<Runnable> waiting = options.maxQueued() == 0
                ? new SynchronousQueue<>()
                : new ArrayBlockingQueue<>(options.maxQueued());
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(options.maxConcurrent(), options.maxConcurrent(), 0, TimeUnit.SECONDS, waiting,
                r -> {
                    Thread t = new Thread(r, "chelsea-generate-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Runs {@code task} when a slot is free, with the KV reservation it holds (the task reports its
     * session to it). The task always runs, even when {@code cancel} was cancelled while it waited
     * (a drain cancels every admitted request), so that it can tell its caller; it should check
     * the token first.
     *
     * @throws ChelseaShuttingDownException      while the queue drains for a shutdown
     * @throws ChelseaModelUnavailableException  when the model's file changed since it was loaded
     * @throws ChelseaMemoryFullException        when the KV budget cannot hold the request now
     * @throws ChelseaQueueFullException         when every slot is busy and the waiting queue is full
     */
    public void submit(CancellationToken cancel, GenerationRequest request, Consumer<KvMemory.Reservation> task) {
        if (draining) {
            throw new ChelseaShuttingDownException("model '" + modelName + "' is shutting down and takes no new requests");
        }
        loaded.checkAvailable();
        long demand = KvDemand.ofRequest(loaded.model(), request.kvCache(), request.promptTokens().length, request.maxTokens());
        KvMemory.Reservation reservation = loaded.memory().reserve(demand, modelName);
        admitted.add(cancel);
        AtomicReference<ScheduledFuture<?>> expiry = new AtomicReference<>();
        Runnable job = () -> {
            ScheduledFuture<?> timer = expiry.getAndSet(null);
            if (timer != null) {
                timer.cancel(false);
            }
            active.incrementAndGet();
            try {
                task.accept(reservation);
            } finally {
                reservation.close();
                active.decrementAndGet();
                admitted.remove(cancel);
                synchronized (idle) {
                    idle.notifyAll();
                }
            }
        };
        try {
            executor.execute(job);
            if (cancel.hasDeadline()) {
                // the task sees the deadline passed and only tells its caller: run here, not in a slot,
                // after its place and reservation are free, so that its caller finds them free
                expiry.set(EXPIRY.schedule(() -> {
                    if (executor.remove(job)) {
                        reservation.close();
                        admitted.remove(cancel);
                        synchronized (idle) {
                            idle.notifyAll();
                        }
                        task.accept(reservation);
                    }
                }, Math.max(0, cancel.nanosLeft()), TimeUnit.NANOSECONDS));
            }
        } catch (RejectedExecutionException e) {
            reservation.close();
            admitted.remove(cancel);
            if (executor.isShutdown()) {
                throw new IllegalStateException("model '" + modelName + "' has been closed");
            }
            throw new ChelseaQueueFullException("model '" + modelName + "' is busy: " + active.get() + " requests running and "
                    + executor.getQueue().size() + " waiting (at most " + options.maxConcurrent() + " running and "
                    + options.maxQueued() + " waiting); retry later or raise the queue size");
        }
    }

    /** Generations running now. */
    public int running() {
        return active.get();
    }

    /** Requests waiting for a slot. */
    public int waiting() {
        return executor.getQueue().size();
    }

    public QueueOptions options() {
        return options;
    }

    /** Whether a drain has stopped this queue from taking new requests. */
    public boolean isDraining() {
        return draining;
    }

    /**
     * For a graceful shutdown: refuses new requests at once ({@link ChelseaShuttingDownException}),
     * lets those running and waiting finish for up to {@code grace}, then cancels what is left
     * (it stops before its next token and its caller hears {@link ChelseaShuttingDownException})
     * and waits a little for it to stop.
     *
     * @return whether every request finished within the grace period
     */
    public boolean drain(Duration grace) {
        stopAdmitting();
        boolean finished = awaitIdle(grace);
        if (!finished) {
            for (CancellationToken t : admitted) {
                t.cancel();
            }
            awaitIdle(STOP_WAIT);
        }
        return finished;
    }

    /** The first step of a drain: refuses new requests from now on. */
    public void stopAdmitting() {
        draining = true;
    }

    /** Takes requests again after a drain (a dev-mode restart reuses the loaded model and its queue). */
    void resume() {
        draining = false;
    }

    private boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (!admitted.isEmpty()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                try {
                    idle.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Refuses new work, cancels what runs or waits, and gives it a moment to stop. */
    @Override
    public void close() {
        executor.shutdown();
        for (CancellationToken t : admitted) {
            t.cancel();
        }
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
