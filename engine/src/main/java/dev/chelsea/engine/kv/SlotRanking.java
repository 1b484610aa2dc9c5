package dev.chelsea.engine.kv;

import java.util.Arrays;

/** Picks slots by a per-slot key, deterministically, for the policies that drop entries. */
final class SlotRanking {
    private SlotRanking() {
    }

    /** An ordering key of a slot: lower keys are evicted first. */
    @FunctionalInterface
    interface SlotKey {
        long of(int slot);
    }

    /** Orders floats as their values, as a long key. */
    static long floatKey(float x) {
        int bits = Float.floatToIntBits(x);
        return bits < 0 ? bits ^ 0x7fffffff : bits;
    }

    /**
     * The {@code k} slots in {@code [from, end)} with the lowest key (ties: lowest slot), written
     * ascending into {@code out}. One scan for the common single eviction of a decode step.
     */
    static void lowest(SlotKey key, int from, int end, int k, int[] out) {
        if (k == 0) {
            return;
        }
        if (k == 1) {
            int arg = from;
            long min = key.of(from);
            for (int j = from + 1; j < end; j++) {
                long x = key.of(j);
                if (x < min) {
                    min = x;
                    arg = j;
                }
            }
            out[0] = arg;
            return;
        }
        // Keys fit in 32 bits (positions, float bits), so key and slot pack into one sortable long.
        long[] order = new long[end - from];
        for (int j = from; j < end; j++) {
            order[j - from] = (key.of(j) << 32) | j;
        }
        Arrays.sort(order);
        for (int i = 0; i < k; i++) {
            out[i] = (int) order[i];
        }
        Arrays.sort(out, 0, k);
    }
}
