package dev.chelsea.engine.arch;

import java.nio.file.Path;

/**
 * A model that cannot run here: a valid GGUF file with an unsupported architecture, missing tensors
 * or bad shapes; a backend that is not available or has no room for the weights; a context whose
 * KV cache does not fit. {@link #reason()} says which setting is at fault.
 */
public final class ModelLoadException extends RuntimeException {
    /** What a load failed on, so that callers can point at the setting to change. */
    public enum Reason {
        /** The file: format, architecture, tensors. */
        FILE,
        /** The backend: not available, or the weights do not fit on its device. */
        BACKEND,
        /** The context length: its KV cache and scratch do not fit. */
        CONTEXT
    }

    private final Reason reason;

    public ModelLoadException(Path file, String problem) {
        this(Reason.FILE, file + ": " + problem);
    }

    public ModelLoadException(String problem) {
        this(Reason.FILE, problem);
    }

    public ModelLoadException(Reason reason, String problem) {
        super(problem);
        this.reason = reason;
    }

    public ModelLoadException(Reason reason, Path file, String problem) {
        this(reason, file + ": " + problem);
    }

    public Reason reason() {
        return reason;
    }
}
