package dev.chelsea.engine.model;

import dev.chelsea.engine.generate.Session;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.chelsea.engine.tokenizer.Tokenizer;

import java.nio.file.Path;

/** A loaded model: mapped weights, tokenizer, chat template, worker threads. Thread-safe; sessions are not. */
public final class Model implements AutoCloseable {
    // API outline; implementation lands with the forward pass.
    public static Model load(Path path, ModelOptions options) {
        throw new UnsupportedOperationException("in progress");
    }

    public Path path() { throw new UnsupportedOperationException(); }

    /** Human-readable name from {@code general.name}, or the file name. */
    public String name() { throw new UnsupportedOperationException(); }

    /** Architecture name from the file ({@code llama}, {@code qwen2}, {@code qwen3}). */
    public String architecture() { throw new UnsupportedOperationException(); }

    public Tokenizer tokenizer() { throw new UnsupportedOperationException(); }

    public ChatTemplate chatTemplate() { throw new UnsupportedOperationException(); }

    /** The context length this model was loaded with. */
    public int contextLength() { throw new UnsupportedOperationException(); }

    public KvLayout kvLayout() { throw new UnsupportedOperationException(); }

    /** Bytes of mapped weights. */
    public long weightBytes() { throw new UnsupportedOperationException(); }

    /** A new conversation state with its own KV cache. */
    public Session newSession(KvCacheConfig kv) { throw new UnsupportedOperationException(); }

    @Override
    public void close() { }
}
