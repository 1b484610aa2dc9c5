package dev.chelsea.langchain4j;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared stories260K model, read in place; a missing file fails the test with the reason. */
final class Stories {
    /** Greedy continuation of "Once upon a time" by llama.cpp (data/reference/stories260K/greedy1.txt). */
    static final String GREEDY_START = ", there was a little girl named Lily. She loved to play outside in the park.";

    private Stories() {
    }

    static Path path() {
        String root = System.getProperty("chelsea.shared");
        if (root == null) {
            throw new AssertionError("system property chelsea.shared is not set (surefire sets it to <repo>/../shared)");
        }
        Path p = Path.of(root, "models", "stories260K.gguf");
        if (!Files.isRegularFile(p)) {
            throw new AssertionError("shared model missing: " + p.toAbsolutePath() + " (CI provides ../shared next to the repository)");
        }
        return p;
    }
}
