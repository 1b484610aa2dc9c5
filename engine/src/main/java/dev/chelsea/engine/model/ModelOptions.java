package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.kernel.Parallel;

/**
 * How to load a model.
 *
 * @param threads       host worker threads (the CPU backend's kernels; at least 1)
 * @param contextLength tokens of context to allow; 0 = the model's trained context length (capped at {@link Model#DEFAULT_CONTEXT})
 * @param backend       where to run it; {@link BackendChoice#AUTO} takes a GPU when one is usable
 * @param device        device index for the CUDA backend (0 = the first GPU)
 */
public record ModelOptions(int threads, int contextLength, BackendChoice backend, int device) {
    public ModelOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (contextLength < 0) {
            throw new IllegalArgumentException("context length must be >= 0 (0 = the model's own), got " + contextLength);
        }
        if (device < 0) {
            throw new IllegalArgumentException("device index must not be negative, got " + device);
        }
        backend = backend == null ? BackendChoice.AUTO : backend;
    }

    public ModelOptions(int threads, int contextLength, BackendChoice backend) {
        this(threads, contextLength, backend, 0);
    }

    public static ModelOptions defaults() {
        return new ModelOptions(Parallel.defaultThreads(), 0, BackendChoice.AUTO, 0);
    }
}
