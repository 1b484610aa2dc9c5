package dev.chelsea.engine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Read-only shared test data ({@code ../shared}, passed by surefire as {@code chelsea.shared}).
 * A missing file fails the test with instructions: CI always has the data, so a skip would
 * only hide a broken setup.
 */
public final class SharedTestFiles {
    private SharedTestFiles() {
    }

    public static Path root() {
        String dir = System.getProperty("chelsea.shared");
        if (dir == null || dir.isBlank()) {
            fail("system property chelsea.shared is not set; run the tests through Maven (surefire sets it to <repo>/../shared)");
        }
        Path root = Path.of(dir);
        if (!Files.isDirectory(root)) {
            fail("shared test data directory " + root.toAbsolutePath() + " is missing; check out the shared data next to the repository");
        }
        return root;
    }

    /** {@code relative} under the shared directory, which must exist. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            fail("shared test file " + p.toAbsolutePath() + " is missing");
        }
        return p;
    }
}
