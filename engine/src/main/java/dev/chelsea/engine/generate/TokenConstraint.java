package dev.chelsea.engine.generate;

/**
 * Restricts which tokens may be generated (constrained decoding, such as the JSON grammars of
 * {@code dev.chelsea.engine.grammar}). Immutable and shareable between requests; each generation
 * walks its own {@link State}. The {@link Generator} masks the logits before every sample,
 * advances the state after every token, and ends generation when the state says the output is
 * finished. End-of-generation tokens must be masked out until the output is complete.
 */
public interface TokenConstraint {

    /** A fresh state at the start of the output. */
    State start();

    /**
     * Whether a control token that the constraint allows counts as its text (tool-call markers
     * such as Mistral's {@code [TOOL_CALLS]}): the generator then writes its text into the output
     * instead of nothing, so that the text says what the constraint saw.
     */
    default boolean rendersAsText(int token) {
        return false;
    }

    /** Where one generation stands. Not thread-safe. */
    interface State {
        /**
         * Sets the logits of tokens that may not come next to negative infinity. At most
         * {@code remaining} tokens may still be generated, this one included; a constraint may use
         * that to close its output in time.
         *
         * @throws IllegalStateException if no token at all may come next
         */
        void mask(float[] logits, int remaining);

        /** Moves past a generated token (never an end-of-generation token). */
        void accept(int token);

        /** Whether the output is complete: end-of-generation tokens are allowed. */
        boolean isComplete();

        /** Whether the output is complete and nothing may follow it: generation ends now. */
        boolean isFinished();
    }
}
