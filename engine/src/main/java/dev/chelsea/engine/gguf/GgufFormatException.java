package dev.chelsea.engine.gguf;

import java.nio.file.Path;

/** A GGUF file that cannot be used: the message names the file and what is wrong with it. */
public final class GgufFormatException extends RuntimeException {
    public GgufFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public GgufFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
