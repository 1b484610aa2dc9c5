package dev.chelsea.engine.tokenizer;

import java.lang.ref.SoftReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.fail;

/** Locates the read-only shared test data; a missing directory fails the test with a clear message. */
final class SharedData {
    /**
     * Tokenizers are immutable: test classes share them instead of loading big vocabularies
     * again. Softly held, so that the rest of a test run can take the memory back.
     */
    private static final Map<Path, SoftReference<Tokenizer>> TOKENIZERS = new ConcurrentHashMap<>();

    private SharedData() {
    }

    static Tokenizer tokenizer(Path gguf) {
        SoftReference<Tokenizer> ref = TOKENIZERS.get(gguf);
        Tokenizer t = ref == null ? null : ref.get();
        if (t == null) {
            t = Tokenizers.fromGguf(gguf);
            TOKENIZERS.put(gguf, new SoftReference<>(t));
        }
        return t;
    }

    /** The tokenizer of {@code data/tokenizer/ggml-vocab-NAME.gguf}. */
    static Tokenizer vocab(String name) {
        return tokenizer(file("data/tokenizer/ggml-vocab-" + name + ".gguf"));
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
