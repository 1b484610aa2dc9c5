package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.CancellationToken;

import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control for one loaded model: a fixed number of generations run at once on their own
 * threads, a bounded number wait, and the rest are refused at once. Every request gets its own
 * engine session, so the only state shared between requests is the (thread-safe) model.
 */
public final class GenerationQueue implements AutoCloseable {
    private final String modelName;
    private final QueueOptions options;
    private final ThreadPoolExecutor executor;
    private final Set<CancellationToken> admitted = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();

    GenerationQueue(String modelName, QueueOptions options) {
        this.modelName = modelName;
        this.options = options;
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
     * Runs {@code task} when a slot is free. The task always runs, even when {@code cancel} was
     * cancelled while it waited (closing the queue cancels every admitted request), so that it
     * can tell its caller; it should check the token first.
     *
     * @throws ChelseaQueueFullException when every slot is busy and the waiting queue is full
     */
    public void submit(CancellationToken cancel, Runnable task) {
        admitted.add(cancel);
        try {
            executor.execute(() -> {
                active.incrementAndGet();
                try {
                    task.run();
                } finally {
                    active.decrementAndGet();
                    admitted.remove(cancel);
                }
            });
        } catch (RejectedExecutionException e) {
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
