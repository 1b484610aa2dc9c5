package dev.chelsea.engine.tokenizer;

/**
 * Code point and UTF-8 helpers. Whitespace is the Unicode {@code White_Space} property, not
 * {@link Character#isWhitespace(int)}, because that is what the pre-tokenizer regexes mean by
 * {@code \s} (it includes U+00A0 and U+3000 and excludes U+001C..U+001F).
 */
final class Codepoints {
    private Codepoints() {
    }

    /** The Unicode {@code White_Space} property. */
    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    /** Whitespace as C's {@code isspace} sees it in the "C" locale (used for strip attributes). */
    static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    static int[] of(String text) {
        return text.codePoints().toArray();
    }

    static String toString(int[] cps, int from, int to) {
        return new String(cps, from, to - from);
    }

    /** Replaces unpaired surrogates with U+FFFD so that the text has a UTF-8 form. */
    static String sanitize(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1));
                if (!paired) {
                    return replaceUnpaired(text);
                }
                i++;
            }
        }
        return text;
    }

    private static String replaceUnpaired(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                sb.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                sb.append('\uFFFD');
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
