package dev.chelsea.engine.tokenizer;

import static dev.chelsea.engine.tokenizer.CodepointFlags.LETTER;
import static dev.chelsea.engine.tokenizer.CodepointFlags.NUMBER;
import static dev.chelsea.engine.tokenizer.CodepointFlags.WHITESPACE;

/**
 * GPT-2's pre-tokenizer regex
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}
 * as a hand-written scanner, the way llama.cpp implements it, so that the result does not depend
 * on a regex engine's treatment of the lookahead.
 */
final class Gpt2SplitRule extends PieceSplitRule {
    static final String REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

    @Override
    void splitPiece(Piece p) {
        int pos = p.ini;
        while (pos < p.end) {
            int cp = p.cp(pos);
            int flags = p.flags(pos);

            if (cp == '\'' && pos + 1 < p.end) {
                int next = p.cp(pos + 1);
                if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                    pos += 2;
                    p.cut(pos);
                    continue;
                }
                if (pos + 2 < p.end) {
                    int nextNext = p.cp(pos + 2);
                    if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l')) {
                        pos += 3;
                        p.cut(pos);
                        continue;
                    }
                }
            }

            int flags2 = cp == ' ' ? p.flags(pos + 1) : flags;
            if ((flags2 & LETTER) != 0) {
                pos += cp == ' ' ? 2 : 1;
                while (p.is(pos, LETTER)) {
                    pos++;
                }
                p.cut(pos);
                continue;
            }
            if ((flags2 & NUMBER) != 0) {
                pos += cp == ' ' ? 2 : 1;
                while (p.is(pos, NUMBER)) {
                    pos++;
                }
                p.cut(pos);
                continue;
            }
            if ((flags2 & (WHITESPACE | LETTER | NUMBER)) == 0 && flags2 != 0) {
                pos += cp == ' ' ? 1 : 0;
                while ((p.flags(pos) & (WHITESPACE | LETTER | NUMBER)) == 0 && p.flags(pos) != 0) {
                    pos++;
                }
                p.cut(pos);
                continue;
            }

            int spaces = 0;
            while (p.is(pos + spaces, WHITESPACE)) {
                spaces++;
            }
            if (spaces > 1 && pos + spaces < p.end) {
                // \s+(?!\S): leave the last space to prefix the word that follows
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
