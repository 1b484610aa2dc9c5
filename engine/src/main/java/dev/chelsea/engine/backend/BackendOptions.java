package dev.chelsea.engine.backend;

/**
 * How a backend runs a model.
 *
 * @param threads host worker threads (the CPU backend's kernels; at least 1)
 * @param device  device index for backends with several devices (CUDA), 0 for the first
 */
public record BackendOptions(int threads, int device) {
    public BackendOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (device < 0) {
            throw new IllegalArgumentException("device index must not be negative, got " + device);
        }
    }
}
