package dev.chelsea.langchain4j;

/**
 * How many requests one loaded model runs at once and how many may wait. Requests beyond
 * {@code maxConcurrent + maxQueued} are refused with {@link ChelseaQueueFullException} rather than
 * piling up: a local model has a fixed throughput, and a caller learns sooner that it should retry.
 *
 * @param maxConcurrent generations running at the same time (they share the model's worker threads)
 * @param maxQueued     requests waiting for a free slot; 0 refuses anything that cannot start at once
 */
public record QueueOptions(int maxConcurrent, int maxQueued) {
    public static final int DEFAULT_MAX_CONCURRENT = 2;
    public static final int DEFAULT_MAX_QUEUED = 32;

    public QueueOptions {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("max concurrent requests must be at least 1, got " + maxConcurrent);
        }
        if (maxQueued < 0) {
            throw new IllegalArgumentException("max queued requests must be >= 0, got " + maxQueued);
        }
    }

    public static QueueOptions defaults() {
        return new QueueOptions(DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_QUEUED);
    }
}
