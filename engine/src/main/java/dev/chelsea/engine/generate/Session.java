package dev.chelsea.engine.generate;

/** One sequence being generated: the model, its KV cache and position. Not thread-safe. */
public final class Session {
}
