package dev.chelsea.engine.grammar;

import java.util.Arrays;

/** A growable list of ints (edges while building, trie nodes while masking), without boxing. */
final class Ints {
    private int[] a = new int[16];
    private int size;

    void add(int v) {
        if (size == a.length) {
            a = Arrays.copyOf(a, size * 2);
        }
        a[size++] = v;
    }

    int get(int i) {
        return a[i];
    }

    int size() {
        return size;
    }

    int[] toArray() {
        return Arrays.copyOf(a, size);
    }
}
