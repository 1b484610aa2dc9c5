package dev.chelsea.langchain4j;

/**
 * How much of each memory pool requests' KV caches may reserve (see {@link KvMemory}): a fixed
 * number of bytes, or a share of the pool: of the JVM's maximum heap for models on the CPU (the
 * rest is for the application, garbage and the logits of each step), of the device memory left
 * free after the weights were loaded for models on a GPU.
 *
 * @param heapShare   share of {@code Runtime.maxMemory()}, in (0, 1]
 * @param deviceShare share of the free device memory, in (0, 1]
 * @param bytes       a fixed budget for every pool instead of the shares; 0: use the shares
 */
public record KvMemoryOptions(double heapShare, double deviceShare, long bytes) {
    public static final double DEFAULT_HEAP_SHARE = 0.5;
    public static final double DEFAULT_DEVICE_SHARE = 0.9;

    public KvMemoryOptions {
        if (!(heapShare > 0 && heapShare <= 1)) {
            throw new IllegalArgumentException("the heap share must be in (0, 1], got " + heapShare);
        }
        if (!(deviceShare > 0 && deviceShare <= 1)) {
            throw new IllegalArgumentException("the device share must be in (0, 1], got " + deviceShare);
        }
        if (bytes < 0) {
            throw new IllegalArgumentException("the KV budget must be 0 (use the shares) or positive, got " + bytes);
        }
    }

    public static KvMemoryOptions defaults() {
        return new KvMemoryOptions(DEFAULT_HEAP_SHARE, DEFAULT_DEVICE_SHARE, 0);
    }
}
