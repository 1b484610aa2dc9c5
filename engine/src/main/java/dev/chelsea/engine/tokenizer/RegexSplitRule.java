package dev.chelsea.engine.tokenizer;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pre-tokenizer regex, applied the way llama.cpp applies the ones it has no hand-written
 * scanner for. A regex that names Unicode categories ({@code \p{L}}, {@code \p{N}}, ...) runs on a
 * "collapsed" copy of the text in which every non-ASCII code point is replaced by one marker
 * character for its category (non-ASCII whitespace by U+000B), and each {@code \p{X}} by a class
 * of that marker plus the ASCII members of the category. This keeps {@code \s}, {@code \S} and the
 * lookaheads working on ASCII rules exactly as in llama.cpp's {@code std::regex}. Other regexes run
 * on the code points themselves, again with non-ASCII whitespace replaced by U+000B.
 */
final class RegexSplitRule implements SplitRule {
    private static final char OTHER = '\u00D0';
    private static final char NUMBER = '\u00D1';
    private static final char LETTER = '\u00D2';
    private static final char PUNCTUATION = '\u00D3';
    private static final char MARK = '\u00D4';
    private static final char SYMBOL = '\u00D5';
    private static final char SPACE = '\u000B';

    /** Class contents (without brackets) standing for each category in a collapsed regex. */
    private static final Map<String, String> CATEGORY_CLASSES = Map.of(
            "\\p{N}", "\\x{D1}0-9",
            "\\p{L}", "\\x{D2}A-Za-z",
            "\\p{P}", "\\x{D3}!-#%-*,-/:;?@\\[-\\]_\\{\\}",
            "\\p{M}", "\\x{D4}",
            "\\p{S}", "\\x{D5}\\$\\+<->\\^`\\|",
            "\\p{Lu}", "\\x{D2}A-Za-z",
            "\\p{Ll}", "\\x{D2}A-Za-z",
            "\\p{Lt}", "\\x{D2}A-Za-z",
            "\\p{Lm}", "\\x{D2}A-Za-z",
            "\\p{Lo}", "\\x{D2}A-Za-z");

    private final String source;
    private final Pattern pattern;
    private final boolean collapsed;

    RegexSplitRule(String regex) {
        this.source = regex;
        this.collapsed = CATEGORY_CLASSES.keySet().stream().anyMatch(regex::contains);
        if (collapsed && !regex.chars().allMatch(c -> c < 128)) {
            throw new IllegalArgumentException("pre-tokenizer regex mixes Unicode categories and non-ASCII characters: " + regex);
        }
        this.pattern = Pattern.compile(translate(regex, collapsed));
    }

    String source() {
        return source;
    }

    @Override
    public IntList split(int[] cps, int[] flags, IntList pieces) {
        // one char per code point when collapsed; otherwise map char offsets back to code points
        String subject;
        int[] charToCp = null;
        if (collapsed) {
            char[] chars = new char[cps.length];
            for (int i = 0; i < cps.length; i++) {
                chars[i] = collapse(cps[i], flags[i]);
            }
            subject = new String(chars);
        } else {
            StringBuilder sb = new StringBuilder(cps.length + 8);
            for (int i = 0; i < cps.length; i++) {
                int cp = cps[i];
                sb.appendCodePoint(cp > 0x7F && (flags[i] & CodepointFlags.WHITESPACE) != 0 ? SPACE : cp);
            }
            subject = sb.toString();
            if (subject.length() != cps.length) {
                charToCp = new int[subject.length() + 1];
                int c = 0;
                for (int i = 0; i < cps.length; i++) {
                    charToCp[c++] = i;
                    if (Character.isSupplementaryCodePoint(cps[i])) {
                        charToCp[c++] = i;
                    }
                }
                charToCp[c] = cps.length;
            }
        }
        int[] cpToChar = charToCp == null ? null : cpToChar(cps);

        IntList out = new IntList(pieces.size() * 4);
        Matcher m = pattern.matcher(subject);
        int start = 0;
        for (int k = 0; k < pieces.size(); k++) {
            int end = start + pieces.get(k);
            m.region(cpToChar == null ? start : cpToChar[start], cpToChar == null ? end : cpToChar[end]);
            int last = start;
            while (m.find()) {
                int ms = charToCp == null ? m.start() : charToCp[m.start()];
                int me = charToCp == null ? m.end() : charToCp[m.end()];
                if (me == ms) {
                    continue;
                }
                if (ms > last) {
                    out.add(ms - last);
                }
                out.add(me - ms);
                last = me;
            }
            if (end > last) {
                out.add(end - last);
            }
            start = end;
        }
        return out;
    }

    private static int[] cpToChar(int[] cps) {
        int[] map = new int[cps.length + 1];
        int c = 0;
        for (int i = 0; i < cps.length; i++) {
            map[i] = c;
            c += Character.charCount(cps[i]);
        }
        map[cps.length] = c;
        return map;
    }

    private static char collapse(int cp, int flags) {
        if (cp < 128) {
            return (char) cp;
        }
        if ((flags & CodepointFlags.WHITESPACE) != 0) {
            return SPACE;
        }
        return switch (flags) {
            case CodepointFlags.NUMBER -> NUMBER;
            case CodepointFlags.LETTER -> LETTER;
            case CodepointFlags.PUNCTUATION -> PUNCTUATION;
            case CodepointFlags.MARK -> MARK;
            case CodepointFlags.SYMBOL -> SYMBOL;
            default -> OTHER;
        };
    }

    /**
     * Rewrites a regex in the ECMAScript dialect llama.cpp uses into Java syntax: {@code \p{X}}
     * becomes its collapsed class (when {@code collapsed}) and {@code $} becomes {@code \z}, since
     * ECMAScript's {@code $} (without multiline) matches only at the very end.
     */
    static String translate(String regex, boolean collapsed) {
        StringBuilder out = new StringBuilder(regex.length() * 2);
        boolean inside = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                if (collapsed && regex.charAt(i + 1) == 'p' && i + 2 < regex.length() && regex.charAt(i + 2) == '{') {
                    int close = regex.indexOf('}', i + 3);
                    String category = close < 0 ? null : CATEGORY_CLASSES.get(regex.substring(i, close + 1));
                    if (category != null) {
                        out.append(inside ? category : "[" + category + "]");
                        i = close;
                        continue;
                    }
                }
                out.append(c).append(regex.charAt(++i));
                continue;
            }
            if (inside && (c == '[' || c == '&')) {
                // literal in ECMAScript classes, nested class or intersection in Java's
                out.append('\\').append(c);
                continue;
            }
            if (c == '[') {
                inside = true;
            } else if (c == ']' && inside) {
                inside = false;
            } else if (c == '$' && !inside) {
                out.append("\\z");
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }
}
