package dev.chelsea.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read-only models and reference data beside the repository ({@code ../shared}). Tests fail,
 * never skip, when it is missing: CI always has it.
 */
public final class Shared {
    private Shared() {
    }

    public static Path root() {
        Path p = Path.of(System.getProperty("chelsea.shared", "../shared")).toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(p.resolve("models")), "shared data missing at " + p + " (set -Dchelsea.shared)");
        return p;
    }

    public static Path resolve(String relative) {
        Path p = root().resolve(relative);
        assertTrue(Files.exists(p), "shared file missing: " + p);
        return p;
    }

    public static Path stories() {
        return resolve("models/stories260K.gguf");
    }
}
