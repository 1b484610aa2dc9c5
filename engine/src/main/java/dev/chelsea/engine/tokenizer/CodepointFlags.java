package dev.chelsea.engine.tokenizer;

/**
 * The Unicode classes of one code point packed into an int. Every code point has exactly one
 * category bit set, so a value of 0 means "outside the piece being split" in the split rules.
 */
final class CodepointFlags {
    static final int LETTER = 1;
    static final int NUMBER = 1 << 1;
    static final int PUNCTUATION = 1 << 2;
    static final int SYMBOL = 1 << 3;
    static final int MARK = 1 << 4;
    static final int SEPARATOR = 1 << 5;
    static final int CONTROL = 1 << 6;
    static final int WHITESPACE = 1 << 7;

    private CodepointFlags() {
    }

    static int of(int cp) {
        int category = switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> SYMBOL;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            default -> CONTROL;
        };
        return Codepoints.isWhitespace(cp) ? category | WHITESPACE : category;
    }

    static int[] of(int[] cps) {
        int[] flags = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
            flags[i] = of(cps[i]);
        }
        return flags;
    }
}
