package dev.chelsea.langchain4j;

import dev.chelsea.engine.model.ModelOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Identifies one loaded model: the file's canonical path and how it was loaded. Two chat models
 * built with equal keys share the same weights, threads and request queue.
 */
public record ModelKey(Path file, ModelOptions options) {

    public ModelKey {
        if (file == null) {
            throw new IllegalArgumentException("model file is missing");
        }
        if (options == null) {
            throw new IllegalArgumentException("model options are missing");
        }
    }

    /** The key for {@code file}, resolved through links so that two spellings of one file are one key. */
    public static ModelKey of(Path file, ModelOptions options) {
        if (file == null) {
            throw new IllegalArgumentException("model file is missing");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model file not found: " + file.toAbsolutePath());
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("model file is not readable: " + file.toAbsolutePath());
        }
        try {
            return new ModelKey(file.toRealPath(), options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve model file " + file.toAbsolutePath(), e);
        }
    }
}
