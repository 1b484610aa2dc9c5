package dev.chelsea.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Just enough of a Jinja lexer to read constants out of a chat template: the tokens inside
 * {@code {{ }}} and {@code {% %}} tags, with string literals unescaped as Jinja does (Python
 * escapes). Rendering never goes through here; families are implemented in Java.
 */
final class TemplateSource {
    enum Kind { STRING, NAME, NUMBER, OP, END }

    record Token(Kind kind, String text) {
        boolean is(Kind k, String t) {
            return kind == k && text.equals(t);
        }
    }

    private final List<Token> tokens;

    TemplateSource(String text) {
        this.tokens = lex(text);
    }

    /** Every string literal inside tags, in order. */
    List<String> stringLiterals() {
        List<String> out = new ArrayList<>();
        for (Token t : tokens) {
            if (t.kind == Kind.STRING) {
                out.add(t.text);
            }
        }
        return out;
    }

    /**
     * The value of {@code {% set name = 'a' + variable + "b" %}}: string literals concatenated,
     * each variable replaced as {@code variables} says. Null if there is no such statement, or it
     * is not a plain concatenation of literals and the given variables.
     */
    String assignedConcatenation(String name, Map<String, String> variables) {
        for (int i = 0; i + 3 < tokens.size(); i++) {
            if (tokens.get(i).is(Kind.NAME, "set") && tokens.get(i + 1).is(Kind.NAME, name) && tokens.get(i + 2).is(Kind.OP, "=")) {
                StringBuilder sb = new StringBuilder();
                int j = i + 3;
                while (true) {
                    Token t = tokens.get(j);
                    if (t.kind == Kind.STRING) {
                        sb.append(t.text);
                    } else if (t.kind == Kind.NAME && variables.containsKey(t.text)) {
                        sb.append(variables.get(t.text));
                    } else {
                        return null;
                    }
                    Token next = tokens.get(j + 1);
                    if (next.kind == Kind.END || next.is(Kind.OP, "-") && tokens.get(j + 2).kind == Kind.END) {
                        return sb.toString();
                    }
                    if (!next.is(Kind.OP, "+")) {
                        return null;
                    }
                    j += 2;
                }
            }
        }
        return null;
    }

    private static List<Token> lex(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            int open = nextTag(s, i);
            if (open < 0) {
                break;
            }
            if (s.startsWith("{#", open)) {
                int close = s.indexOf("#}", open + 2);
                i = close < 0 ? n : close + 2;
                continue;
            }
            String closer = s.charAt(open + 1) == '{' ? "}}" : "%}";
            i = open + 2;
            while (i < n) {
                char c = s.charAt(i);
                if (s.startsWith(closer, i)) {
                    out.add(new Token(Kind.END, closer));
                    i += 2;
                    break;
                }
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '\'' || c == '"') {
                    StringBuilder lit = new StringBuilder();
                    i = readString(s, i, lit);
                    out.add(new Token(Kind.STRING, lit.toString()));
                } else if (Character.isLetter(c) || c == '_') {
                    int from = i;
                    while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                        i++;
                    }
                    out.add(new Token(Kind.NAME, s.substring(from, i)));
                } else if (Character.isDigit(c)) {
                    int from = i;
                    while (i < n && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                        i++;
                    }
                    out.add(new Token(Kind.NUMBER, s.substring(from, i)));
                } else {
                    out.add(new Token(Kind.OP, String.valueOf(c)));
                    i++;
                }
            }
        }
        out.add(new Token(Kind.END, ""));
        return out;
    }

    private static int nextTag(String s, int from) {
        int best = -1;
        for (String opener : new String[]{"{{", "{%", "{#"}) {
            int at = s.indexOf(opener, from);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** Reads the literal starting at the quote {@code s[at]}; returns the index after its closing quote. */
    private static int readString(String s, int at, StringBuilder out) {
        char quote = s.charAt(at);
        int i = at + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == quote) {
                return i + 1;
            }
            if (c == '\\' && i + 1 < s.length()) {
                char e = s.charAt(i + 1);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case '\\', '\'', '"' -> out.append(e);
                    case 'u', 'x' -> {
                        int len = e == 'u' ? 4 : 2;
                        String hex = i + 2 + len <= s.length() ? s.substring(i + 2, i + 2 + len) : "";
                        if (hex.length() == len && hex.chars().allMatch(h -> Character.digit(h, 16) >= 0)) {
                            out.append((char) Integer.parseInt(hex, 16));
                            i += len;
                        } else {
                            out.append('\\').append(e);
                        }
                    }
                    // Python keeps unknown escapes as written
                    default -> out.append('\\').append(e);
                }
                i += 2;
            } else {
                out.append(c);
                i++;
            }
        }
        return i;
    }
}
