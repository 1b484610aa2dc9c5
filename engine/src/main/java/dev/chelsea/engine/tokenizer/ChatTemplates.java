package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.gguf.GgufMetadata;

/** Placeholder replaced by the template branch. */
public final class ChatTemplates {
    private ChatTemplates() {
    }

    public static ChatTemplate forModel(GgufMetadata md) {
        throw new UnsupportedOperationException("chat templates land with the template branch");
    }
}
