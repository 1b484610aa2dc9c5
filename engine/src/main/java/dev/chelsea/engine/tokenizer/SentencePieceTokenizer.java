package dev.chelsea.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

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
    private final TextIndex index;

    SentencePieceTokenizer(Vocabulary vocab) {
        super(vocab);
        String[] texts = new String[vocab.size()];
        Arrays.setAll(texts, vocab::text);
        index = new TextIndex(texts);
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

        BigramQueue queue = new BigramQueue(n);
        for (int i = 1; i < n; i++) {
            addBigram(s, start, length, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            int left = queue.left();
            int right = queue.right();
            int size = queue.size();
            queue.pop();
            // stale if either side has been merged since the pair was queued
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != size) {
                continue;
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                addBigram(s, start, length, prev[left], left, queue);
            }
            if (next[left] >= 0) {
                addBigram(s, start, length, left, next[left], queue);
            }
        }

        for (int i = 0; i != -1; i = next[i]) {
            int id = index.find(s, start[i], start[i] + length[i]);
            if (id >= 0) {
                out.add(id);
            } else {
                String piece = s.substring(start[i], start[i] + length[i]);
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    out.add(byteToken(b & 0xFF, piece));
                }
            }
        }
    }

    private void addBigram(String s, int[] start, int[] length, int left, int right, BigramQueue queue) {
        int len = length[left] + length[right];
        int id = index.find(s, start[left], start[left] + len);
        if (id >= 0) {
            queue.push(vocab.score(id), left, right, len);
        }
    }

    /**
     * Candidate merges, best first: highest score, then leftmost. Entries are packed into longs
     * (an order-preserving form of the score with the left index, and right index with size) so
     * that the queue allocates nothing per entry.
     */
    private static final class BigramQueue {
        private long[] keys;
        private long[] values;
        private int count;

        BigramQueue(int capacity) {
            keys = new long[Math.max(4, capacity)];
            values = new long[keys.length];
        }

        boolean isEmpty() {
            return count == 0;
        }

        void push(float score, int left, int right, int size) {
            int bits = Float.floatToIntBits(score);
            int ordered = bits < 0 ? ~bits : bits | Integer.MIN_VALUE; // unsigned order = float order
            // smallest key first: invert the score so that the highest score is smallest
            long key = ((long) ~ordered << 32) | left;
            long value = ((long) right << 32) | size;
            if (count == keys.length) {
                keys = Arrays.copyOf(keys, count * 2);
                values = Arrays.copyOf(values, count * 2);
            }
            int i = count++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (Long.compareUnsigned(keys[parent], key) <= 0) {
                    break;
                }
                keys[i] = keys[parent];
                values[i] = values[parent];
                i = parent;
            }
            keys[i] = key;
            values[i] = value;
        }

        int left() {
            return (int) keys[0];
        }

        int right() {
            return (int) (values[0] >>> 32);
        }

        int size() {
            return (int) values[0];
        }

        void pop() {
            long key = keys[--count];
            long value = values[count];
            int i = 0;
            int half = count >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < count && Long.compareUnsigned(keys[child + 1], keys[child]) < 0) {
                    child++;
                }
                if (Long.compareUnsigned(key, keys[child]) <= 0) {
                    break;
                }
                keys[i] = keys[child];
                values[i] = values[child];
                i = child;
            }
            keys[i] = key;
            values[i] = value;
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
