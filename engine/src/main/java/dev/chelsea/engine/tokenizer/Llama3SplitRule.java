package dev.chelsea.engine.tokenizer;

import static dev.chelsea.engine.tokenizer.CodepointFlags.LETTER;
import static dev.chelsea.engine.tokenizer.CodepointFlags.NUMBER;
import static dev.chelsea.engine.tokenizer.CodepointFlags.WHITESPACE;

/**
 * Llama 3's pre-tokenizer regex
 * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}
 * as a hand-written scanner, following llama.cpp (numbers split into groups of up to three
 * digits from the left).
 */
final class Llama3SplitRule extends PieceSplitRule {
    static final String REGEX = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String REGEX_CASE_INSENSITIVE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    @Override
    void splitPiece(Piece p) {
        int pos = p.ini;
        while (pos < p.end) {
            int cp = p.cp(pos);
            int flags = p.flags(pos);

            if (cp == '\'' && pos + 1 < p.end) {
                int next = Character.toLowerCase(p.cp(pos + 1));
                if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                    pos += 2;
                    p.cut(pos);
                    continue;
                }
                if (pos + 2 < p.end) {
                    int nextNext = Character.toLowerCase(p.cp(pos + 2));
                    if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l')) {
                        pos += 3;
                        p.cut(pos);
                        continue;
                    }
                }
            }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!(cp == '\r' || cp == '\n' || (flags & NUMBER) != 0)) {
                if ((flags & LETTER) != 0 || p.is(pos + 1, LETTER)) {
                    pos++;
                    while (p.is(pos, LETTER)) {
                        pos++;
                    }
                    p.cut(pos);
                    continue;
                }
            }

            // \p{N}{1,3}
            if ((flags & NUMBER) != 0) {
                int groupStart = pos;
                while (p.is(pos, NUMBER)) {
                    if (++pos - groupStart >= 3) {
                        p.cut(pos);
                        groupStart = pos;
                    }
                }
                p.cut(pos);
                continue;
            }

            // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (llama.cpp tests the current code point for "inside the piece")
            int flags2 = cp == ' ' ? p.flags(pos + 1) : flags;
            if ((flags2 & (WHITESPACE | LETTER | NUMBER)) == 0 && flags != 0) {
                pos += cp == ' ' ? 1 : 0;
                while ((p.flags(pos) & (WHITESPACE | LETTER | NUMBER)) == 0 && p.flags(pos) != 0) {
                    pos++;
                }
                while (p.cp(pos) == '\r' || p.cp(pos) == '\n') {
                    pos++;
                }
                p.cut(pos);
                continue;
            }

            int spaces = 0;
            int afterLastNewline = 0;
            while (p.is(pos + spaces, WHITESPACE)) {
                int c = p.cp(pos + spaces);
                if (c == '\r' || c == '\n') {
                    afterLastNewline = pos + spaces + 1;
                }
                spaces++;
            }
            if (afterLastNewline > 0) {
                // \s*[\r\n]+
                pos = afterLastNewline;
                p.cut(pos);
                continue;
            }
            if (spaces > 1 && pos + spaces < p.end) {
                // \s+(?!\S)
                pos += spaces - 1;
                p.cut(pos);
                continue;
            }
            if (spaces > 0) {
                pos += spaces;
                p.cut(pos);
                continue;
            }
            p.cut(++pos);
        }
    }
}
