package dev.chelsea.engine.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** Locates the read-only shared test data; a missing directory fails the test with a clear message. */
final class SharedData {
    private SharedData() {
    }

    static Path dir() {
        String prop = System.getProperty("chelsea.shared");
        if (prop == null) {
            fail("system property chelsea.shared is not set (surefire sets it to <repo>/../shared)");
        }
        Path dir = Path.of(prop);
        if (!Files.isDirectory(dir)) {
            fail("shared test data not found at " + dir.toAbsolutePath() + " (chelsea.shared)");
        }
        return dir;
    }

    static Path file(String relative) {
        Path p = dir().resolve(relative);
        if (!Files.exists(p)) {
            fail("shared test file missing: " + p.toAbsolutePath());
        }
        return p;
    }
}
