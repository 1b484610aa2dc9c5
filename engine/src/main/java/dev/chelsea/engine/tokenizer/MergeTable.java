package dev.chelsea.engine.tokenizer;

/**
 * BPE merges keyed by the ids of the two symbols: an open-addressing hash table from
 * {@code (left << 32 | right)} to {@code (rank << 32 | merged)}. Built once per vocabulary;
 * about 280K entries for Llama 3, read without locking by any number of threads.
 */
final class MergeTable {
    static final long MISSING = -1L;
    private static final long EMPTY = Long.MIN_VALUE;

    private final long[] keys;
    private final long[] values;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        mask = capacity - 1;
        java.util.Arrays.fill(keys, EMPTY);
    }

    static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    static int rank(long value) {
        return (int) (value >>> 32);
    }

    static int merged(long value) {
        return (int) value;
    }

    /** Adds the merge unless the pair already has one (the first, lowest rank wins). */
    void putIfAbsent(int left, int right, int rank, int merged) {
        if (size * 2 >= keys.length) {
            throw new IllegalStateException("merge table is full");
        }
        long key = key(left, right);
        int i = slot(key);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = ((long) rank << 32) | (merged & 0xFFFFFFFFL);
        size++;
    }

    /** The merge of the pair as {@code rank << 32 | merged}, or {@link #MISSING}. */
    long get(int left, int right) {
        long key = key(left, right);
        int i = slot(key);
        while (true) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return MISSING;
            }
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }

    private int slot(long key) {
        long h = (key ^ (key >>> 33)) * 0xFF51AFD7ED558CCDL;
        h = (h ^ (h >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return (int) (h ^ (h >>> 33)) & mask;
    }
}
