package dev.chelsea.engine.grammar;

/**
 * Bounds the JSON grammars put on what a schema leaves open, so that a model cannot run on forever
 * inside one number or one run of whitespace (random-weight models do exactly that).
 *
 * @param maxIntegerDigits  digits of an integer, and of a number's integer part (16, as llama.cpp's
 *                          JSON grammars; note that a Java {@code int} field overflows past 9)
 * @param maxFractionDigits digits after a number's decimal point
 * @param maxIndent         spaces or tabs after a line break between tokens (pretty-printed JSON
 *                          nests 10 levels deep at 4 spaces within 40)
 */
public record JsonSchemaOptions(int maxIntegerDigits, int maxFractionDigits, int maxIndent) {
    public static final JsonSchemaOptions DEFAULTS = new JsonSchemaOptions(16, 16, 40);

    public JsonSchemaOptions {
        if (maxIntegerDigits < 1 || maxIntegerDigits > 100) {
            throw new IllegalArgumentException("maxIntegerDigits must be in 1..100, got " + maxIntegerDigits);
        }
        if (maxFractionDigits < 1 || maxFractionDigits > 100) {
            throw new IllegalArgumentException("maxFractionDigits must be in 1..100, got " + maxFractionDigits);
        }
        if (maxIndent < 0 || maxIndent > 200) {
            throw new IllegalArgumentException("maxIndent must be in 0..200, got " + maxIndent);
        }
    }
}
