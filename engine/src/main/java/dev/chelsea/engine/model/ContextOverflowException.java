package dev.chelsea.engine.model;

/** More tokens than the context length allows, or than a full KV cache's limit in bytes holds. */
public final class ContextOverflowException extends RuntimeException {
    public ContextOverflowException(int position, int adding, int contextLength) {
        this(position, adding, contextLength, "the context length");
    }

    /** {@code limit} tokens allowed, {@code what} they are ({@code the context length}, ...). */
    public ContextOverflowException(int position, int adding, int limit, String what) {
        super(position == 0
                ? "the prompt has " + adding + " tokens, more than " + what + " of " + limit
                : "cannot add " + adding + " tokens at position " + position + ": " + what + " is " + limit);
    }
}
