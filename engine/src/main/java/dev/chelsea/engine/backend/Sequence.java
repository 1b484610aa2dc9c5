package dev.chelsea.engine.backend;

import dev.chelsea.engine.kv.KvCache;

/**
 * The state of one sequence on a backend: its KV cache and the working memory of its forward
 * steps. Belongs to the backend that created it, which alone can run it; not thread-safe (one
 * step at a time), but sequences are independent of each other.
 */
public interface Sequence extends AutoCloseable {

    KvCache<?> cache();

    /** Most tokens one forward step of this sequence takes. */
    int maxBatch();

    /** Frees the sequence's memory (device memory on a GPU). */
    @Override
    void close();
}
