package dev.chelsea.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT's WordPiece ({@code tokenizer.ggml.model = bert}) as llama.cpp implements it. The text is
 * normalized (each character reduced to the first code point of its NFD form, accents dropped,
 * lower-cased: BERT's uncased normalizer), split at whitespace and around punctuation, ASCII
 * symbols and CJK ideographs, and each word is covered greedily by the longest vocabulary
 * tokens. GGUF spells word-initial pieces with a leading U+2581 and continuations bare (where
 * BERT's own vocabulary writes {@code ##}). A word that cannot be covered becomes the unknown
 * token. With special tokens added, the ids are wrapped in {@code [CLS] ... [SEP]}.
 */
public final class WordPieceTokenizer extends AbstractTokenizer {
    private static final char WORD_START = '\u2581';

    private final boolean lowercase;
    private final boolean stripAccents;

    WordPieceTokenizer(Vocabulary vocab, boolean lowercase, boolean stripAccents) {
        super(vocab);
        this.lowercase = lowercase;
        this.stripAccents = stripAccents;
        buildPieces();
    }

    @Override
    byte[] normalPiece(String text) {
        return text.replace(WORD_START, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    void addPrefix(IntList out) {
        out.add(vocab.bos());
    }

    @Override
    void addSuffix(IntList out) {
        if (vocab.sep() >= 0) {
            out.add(vocab.sep());
        }
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        int maxChars = vocab.maxTokenChars();
        for (String w : words(text)) {
            String word = WORD_START + w;
            int n = word.length();
            IntList found = new IntList();
            int i = 0;
            while (i < n) {
                int end = i;
                for (int j = Math.min(n, i + maxChars); j > i; j--) {
                    int id = vocab.id(word.substring(i, j));
                    if (id >= 0) {
                        found.add(id);
                        end = j;
                        break;
                    }
                }
                if (end == i) {
                    break;
                }
                i = end;
            }
            if (i == n) {
                out.addAll(found.toArray());
            } else if (vocab.unk() >= 0) {
                out.add(vocab.unk());
            } else {
                throw new IllegalStateException(vocab.source() + ": cannot encode '" + w + "' and the vocabulary has no unknown token");
            }
        }
    }

    /** BERT's basic tokenization into words, after normalization. */
    List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (stripAccents) {
                cp = Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFD).codePointAt(0);
            }
            int flags = CodepointFlags.of(cp);
            if ((flags & CodepointFlags.WHITESPACE) != 0) {
                flush(word, words);
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || (flags & CodepointFlags.CONTROL) != 0) {
                continue;
            }
            if (stripAccents && (flags & CodepointFlags.MARK) != 0) {
                continue;
            }
            int c = lowercase ? Character.toLowerCase(cp) : cp;
            if ((flags & CodepointFlags.PUNCTUATION) != 0 || (cp < 0x7F && (flags & CodepointFlags.SYMBOL) != 0) || isCjk(cp)) {
                flush(word, words);
                words.add(new String(Character.toChars(c)));
            } else {
                word.appendCodePoint(c);
            }
        }
        flush(word, words);
        return words;
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (!word.isEmpty()) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    /** CJK ideographs as BERT defines them (including its 0x2B920 typo for 0x2B820). */
    private static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
