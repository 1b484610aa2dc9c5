package dev.chelsea.engine.generate;

/**
 * Receives generated text as it is produced. Pieces are always whole UTF-8 characters (a character
 * split across tokens arrives once complete) and never contain part of a stop string.
 */
@FunctionalInterface
public interface TokenListener {
    void onText(String piece);

    TokenListener NONE = piece -> {
    };
}
