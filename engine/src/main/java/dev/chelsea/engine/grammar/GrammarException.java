package dev.chelsea.engine.grammar;

/** A grammar that cannot be compiled: ambiguous where the matcher needs one path, or with no finite output. */
public class GrammarException extends IllegalArgumentException {
    public GrammarException(String message) {
        super(message);
    }
}
