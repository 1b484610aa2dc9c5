package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.gguf.GgufMetadata;

/** Placeholder replaced by the tokenizer branch. */
public final class Tokenizers {
    private Tokenizers() {
    }

    public static Tokenizer fromGguf(GgufMetadata md) {
        throw new UnsupportedOperationException("tokenizers land with the tokenizer branch");
    }
}
