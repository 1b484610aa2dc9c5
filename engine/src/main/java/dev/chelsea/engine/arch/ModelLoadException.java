package dev.chelsea.engine.arch;

import java.nio.file.Path;

/** A model file that is a valid GGUF but cannot be run: unsupported architecture, missing tensors, bad shapes. */
public final class ModelLoadException extends RuntimeException {
    public ModelLoadException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public ModelLoadException(String problem) {
        super(problem);
    }
}
