package dev.chelsea.langchain4j.download;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files of the read-only shared folder; a missing one fails the test with the reason. */
final class Shared {
    private Shared() {
    }

    static Path file(String relative) {
        String root = System.getProperty("chelsea.shared");
        if (root == null) {
            throw new AssertionError("system property chelsea.shared is not set (surefire sets it to <repo>/../shared)");
        }
        Path p = Path.of(root, relative);
        if (!Files.isRegularFile(p)) {
            throw new AssertionError("shared test data missing: " + p.toAbsolutePath() + " (CI provides ../shared next to the repository)");
        }
        return p;
    }
}
