package dev.chelsea.engine.tokenizer;

/** A GGUF vocabulary whose tokenizer model or pre-tokenizer this engine does not implement. */
public final class UnsupportedTokenizerException extends RuntimeException {
    public UnsupportedTokenizerException(String message) {
        super(message);
    }
}
