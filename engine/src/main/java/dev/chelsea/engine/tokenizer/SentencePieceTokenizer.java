package dev.chelsea.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * SentencePiece BPE ({@code tokenizer.ggml.model = llama}) as llama.cpp implements it: spaces
 * become U+2581, a space is put before text that starts the input or follows a special token
 * ({@code tokenizer.ggml.add_space_prefix}, default true), then adjacent pieces are merged
 * greedily, the pair whose merged text is the vocabulary token with the highest score first
 * (leftmost on ties). Characters that end up in no token are written as byte-fallback tokens
 * {@code <0xNN>}, or as the unknown token when the vocabulary has no byte tokens.
 */
public final class SentencePieceTokenizer extends AbstractTokenizer {
    private static final char SPACE_MARK = '\u2581';

    private final int[] byteTokens = new int[256];

    SentencePieceTokenizer(Vocabulary vocab) {
        super(vocab);
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) {
                id = vocab.id(String.valueOf((char) b));
            }
            byteTokens[b] = id;
        }
        buildPieces();
    }

    @Override
    byte[] normalPiece(String text) {
        return text.replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    boolean stripsLeadingSpace() {
        return vocab.addSpacePrefix();
    }

    private record Bigram(int left, int right, float score, int length) {
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        String s = ((vocab.addSpacePrefix() && afterSpecial) ? " " + text : text).replace(' ', SPACE_MARK);
        int n = s.codePointCount(0, s.length());
        if (n == 0) {
            return;
        }
        // symbols: one per code point, as [start, start + length) of s, in a linked list
        int[] start = new int[n];
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            int cp = s.codePointAt(pos);
            start[i] = pos;
            length[i] = Character.charCount(cp);
            pos += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }

        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n),
                (a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            addBigram(s, start, length, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            // stale if either side has been merged since the pair was queued
            if (length[b.left] == 0 || length[b.right] == 0 || length[b.left] + length[b.right] != b.length) {
                continue;
            }
            length[b.left] += length[b.right];
            length[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) {
                prev[next[b.right]] = b.left;
            }
            if (prev[b.left] >= 0) {
                addBigram(s, start, length, prev[b.left], b.left, queue);
            }
            if (next[b.left] >= 0) {
                addBigram(s, start, length, b.left, next[b.left], queue);
            }
        }

        for (int i = 0; i != -1; i = next[i]) {
            String piece = s.substring(start[i], start[i] + length[i]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
            } else {
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    out.add(byteToken(b & 0xFF, piece));
                }
            }
        }
    }

    private void addBigram(String s, int[] start, int[] length, int left, int right, PriorityQueue<Bigram> queue) {
        int len = length[left] + length[right];
        int id = vocab.id(s.substring(start[left], start[left] + len));
        if (id >= 0) {
            queue.add(new Bigram(left, right, vocab.score(id), len));
        }
    }

    private int byteToken(int b, String piece) {
        int id = byteTokens[b];
        if (id >= 0) {
            return id;
        }
        if (vocab.unk() >= 0) {
            return vocab.unk();
        }
        throw new IllegalStateException(vocab.source() + ": cannot encode '" + piece
                + "': the vocabulary has neither a byte token for 0x" + Integer.toHexString(b) + " nor an unknown token");
    }
}
