package dev.chelsea.engine.tokenizer;

/**
 * Token ids by text, looked up by a range of a string without creating a substring: the
 * SentencePiece merge loop asks about every adjacent pair of pieces, so a lookup must not
 * allocate. Open addressing over {@link String#hashCode()}-compatible hashes.
 */
final class TextIndex {
    private final String[] texts;
    private final int[] slots;
    private final int mask;

    TextIndex(String[] texts) {
        this.texts = texts;
        int capacity = Integer.highestOneBit(Math.max(16, texts.length * 2 - 1)) << 1;
        slots = new int[capacity];
        mask = capacity - 1;
        java.util.Arrays.fill(slots, -1);
        for (int id = 0; id < texts.length; id++) {
            int i = spread(texts[id].hashCode()) & mask;
            while (slots[i] >= 0) {
                if (texts[slots[i]].equals(texts[id])) {
                    break; // keep the first id of a duplicate text, like the vocabulary map
                }
                i = (i + 1) & mask;
            }
            if (slots[i] < 0) {
                slots[i] = id;
            }
        }
    }

    /** The id of the token spelled {@code s[from, to)}, or -1. */
    int find(String s, int from, int to) {
        int h = 0;
        for (int k = from; k < to; k++) {
            h = 31 * h + s.charAt(k);
        }
        int len = to - from;
        int i = spread(h) & mask;
        while (true) {
            int id = slots[i];
            if (id < 0) {
                return -1;
            }
            String t = texts[id];
            if (t.length() == len && t.regionMatches(0, s, from, len)) {
                return id;
            }
            i = (i + 1) & mask;
        }
    }

    private static int spread(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
