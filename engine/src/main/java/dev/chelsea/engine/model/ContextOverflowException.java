package dev.chelsea.engine.model;

/** More tokens than the context length allows. */
public final class ContextOverflowException extends RuntimeException {
    public ContextOverflowException(int position, int adding, int contextLength) {
        super(position == 0
                ? "the prompt has " + adding + " tokens, more than the context length of " + contextLength
                : "cannot add " + adding + " tokens at position " + position + ": the context length is " + contextLength);
    }
}
