package dev.chelsea.engine.model;

/**
 * How to load a model.
 *
 * @param threads       worker threads for the kernels (at least 1)
 * @param contextLength tokens of context to allow; 0 = the model's trained context length
 * @param backend       {@code auto}, {@code cpu} or {@code cuda}
 */
public record ModelOptions(int threads, int contextLength, String backend) {
    public ModelOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (contextLength < 0) {
            throw new IllegalArgumentException("context length must be >= 0 (0 = the model's own), got " + contextLength);
        }
        backend = backend == null ? "auto" : backend;
        if (!backend.equals("auto") && !backend.equals("cpu") && !backend.equals("cuda")) {
            throw new IllegalArgumentException("unknown backend '" + backend + "' (known: auto, cpu, cuda)");
        }
    }

    public static ModelOptions defaults() {
        return new ModelOptions(dev.chelsea.engine.kernel.Parallel.defaultThreads(), 0, "auto");
    }
}
