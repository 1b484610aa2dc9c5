package dev.chelsea.engine.kv;

import java.util.List;

/**
 * What a policy decided for one compression, per layer; a store applies it. Layers without a plan
 * are left alone. Plans name slots, never data, so the same plan drives a CPU and a GPU store.
 *
 * @param layers      one entry per layer, null where nothing changes
 * @param resetScores after applying, the accumulated attention of every kept slot restarts at 0
 */
public record KvPlan(Layer[] layers, boolean resetScores) {

    /** The change to one layer. */
    public sealed interface Layer permits Merge, Keep, Evict {
        /** Slots the layer holds after the change, given what it holds before. */
        int slotsAfter(int slotsBefore);
    }

    /**
     * Chunked soft matching ({@link ChunkedSoftMatching}) in every KV head: pass {@code i} merges
     * within the region of {@code count - (merges of passes 0..i-1)} slots starting at
     * {@code from}, then the survivors are compacted in temporal order. Which slot merges into
     * which depends on the keys, so the store computes it where the keys are; how many merge is
     * fixed by the passes, so every head ends with the same count.
     */
    public record Merge(int from, int count, int chunk, List<ChunkedSoftMatching.Pass> passes) implements Layer {
        public Merge {
            passes = List.copyOf(passes);
        }

        public int merges() {
            int m = 0;
            for (ChunkedSoftMatching.Pass p : passes) {
                m += p.merges();
            }
            return m;
        }

        @Override
        public int slotsAfter(int slotsBefore) {
            return slotsBefore - merges();
        }
    }

    /** Keeps slots {@code kept[head]} (strictly ascending, the same count in every head) in temporal order. */
    public record Keep(int[][] kept) implements Layer {
        public Keep {
            for (int[] k : kept) {
                if (k.length != kept[0].length) {
                    throw new IllegalArgumentException("every KV head must keep the same number of slots");
                }
            }
        }

        @Override
        public int slotsAfter(int slotsBefore) {
            return kept[0].length;
        }
    }

    /**
     * Removes {@code victims[head]} (strictly ascending, all below {@code end}, the same count in
     * every head), where order below {@code end} does not matter to the policy: holes are refilled
     * from the end of that region and slots from {@code end} on (the recent window) shift down in order.
     */
    public record Evict(int[][] victims, int end) implements Layer {
        public Evict {
            for (int[] v : victims) {
                if (v.length != victims[0].length) {
                    throw new IllegalArgumentException("every KV head must evict the same number of slots");
                }
            }
        }

        @Override
        public int slotsAfter(int slotsBefore) {
            return slotsBefore - victims[0].length;
        }
    }
}
