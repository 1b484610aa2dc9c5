package dev.chelsea.engine.generate;

import dev.chelsea.engine.model.Model;

/**
 * Runs requests on a model: prefill of the prompt in batches, then sampling token by token with
 * stop tokens, stop strings, a token limit and cancellation. Each call uses its own session, so
 * one generator may serve several threads (they share the model's worker threads).
 */
public final class Generator {
    private final Model model;

    public Generator(Model model) {
        this.model = model;
    }

    /** Generates for {@code request}, sending text pieces to {@code listener} as they are decoded. */
    public GenerationResult generate(GenerationRequest request, TokenListener listener, CancellationToken cancel) {
        throw new UnsupportedOperationException("in progress");
    }
}
