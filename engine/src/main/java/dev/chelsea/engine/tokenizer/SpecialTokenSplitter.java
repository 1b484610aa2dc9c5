package dev.chelsea.engine.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Cuts special tokens written in the text out of it before normal tokenization, as llama.cpp's
 * {@code tokenizer_st_partition} does: the tokens are tried longest first, each one splitting every
 * text fragment left by the longer ones. Control and unknown tokens are matched only when special
 * parsing is on; user-defined tokens always are (as in Hugging Face tokenizers). Tokens with the
 * strip attributes swallow the ASCII whitespace next to them.
 */
final class SpecialTokenSplitter {

    /** A piece of the text ({@code token == -1}, the range {@code [start, end)}) or a special token. */
    record Fragment(int start, int end, int token) {
        boolean isText() {
            return token < 0;
        }
    }

    private final Vocabulary vocab;
    private final int[] candidates;

    SpecialTokenSplitter(Vocabulary vocab) {
        this.vocab = vocab;
        this.candidates = vocab.specialTokenIds();
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(new Fragment(0, text.length(), -1));
        BitSet present = null;
        for (int id : candidates) {
            int attrs = vocab.attrs(id);
            if (!parseSpecial && (attrs & (Vocabulary.CONTROL | Vocabulary.UNKNOWN)) != 0) {
                continue;
            }
            String special = vocab.text(id);
            if (present == null) {
                present = new BitSet(128);
                for (int i = 0; i < text.length(); i++) {
                    present.set(text.charAt(i));
                }
            }
            if (!present.get(special.charAt(0)) || !text.contains(special)) {
                continue;
            }
            fragments = cut(text, fragments, id, special, attrs);
        }
        return fragments;
    }

    private static List<Fragment> cut(String text, List<Fragment> fragments, int id, String special, int attrs) {
        List<Fragment> out = new ArrayList<>(fragments.size() + 4);
        for (Fragment f : fragments) {
            if (!f.isText()) {
                out.add(f);
                continue;
            }
            int from = f.start();
            int end = f.end();
            while (from < end) {
                int match = text.indexOf(special, from);
                if (match < 0 || match + special.length() > end) {
                    break;
                }
                int leftEnd = match;
                if ((attrs & Vocabulary.LSTRIP) != 0) {
                    while (leftEnd > from && Codepoints.isAsciiSpace(text.charAt(leftEnd - 1))) {
                        leftEnd--;
                    }
                }
                if (leftEnd > from) {
                    out.add(new Fragment(from, leftEnd, -1));
                }
                out.add(new Fragment(match, match + special.length(), id));
                from = match + special.length();
                if ((attrs & Vocabulary.RSTRIP) != 0) {
                    while (from < end && Codepoints.isAsciiSpace(text.charAt(from))) {
                        from++;
                    }
                }
            }
            if (from < end) {
                out.add(new Fragment(from, end, -1));
            }
        }
        return out;
    }
}
