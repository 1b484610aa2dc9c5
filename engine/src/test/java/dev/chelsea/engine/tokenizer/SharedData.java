package dev.chelsea.engine.tokenizer;

import java.lang.ref.SoftReference;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
        return dev.chelsea.engine.testing.Shared.root();
    }

    static Path file(String relative) {
        return dev.chelsea.engine.testing.Shared.resolve(relative);
    }
}
