package dev.chelsea.engine.kv;

/**
 * One layer of a KV store in host memory, in float32 whatever the backend stores: the
 * backend-neutral form that prompt cache files hold ({@link KvStore#exportLayer},
 * {@link KvStore#importLayer}). Arrays are per KV head and hold exactly {@code slots} entries.
 *
 * @param slots          slots held per KV head
 * @param tokens         original tokens appended so far: the position of the next one
 * @param merged         whether any slot stands for more than one token (attention then adds {@code log(size)})
 * @param positions      {@code [head][slot]} the original position of each slot
 * @param keys           {@code [head][slot * headDim + d]}
 * @param values         {@code [head][slot * headDim + d]}
 * @param sizes          {@code [head][slot]} cluster sizes, or null for a store that keeps none
 * @param scores         {@code [head][slot]} accumulated attention, or null for a store that keeps none
 * @param queryHeads     query heads of the recorded queries (0 when none were recorded)
 * @param queriesSeen    queries recorded so far
 * @param queries        the ring of recorded queries ({@code [window][queryHeads * headDim]}), or null
 * @param queryPositions positions of the recorded queries (the same ring), or null
 */
public record KvLayerImage(int slots, int tokens, boolean merged, int[][] positions, float[][] keys, float[][] values,
                           float[][] sizes, float[][] scores, int queryHeads, int queriesSeen, float[] queries,
                           int[] queryPositions) {

    /** Fails with what differs when this image cannot fill a layer of a store with {@code layout} and {@code spec}. */
    public void check(KvLayout layout, KvStoreSpec spec) {
        int h = layout.kvHeads(), d = layout.headDim();
        if (slots < 0 || tokens < slots) {
            throw new IllegalArgumentException("a layer image of " + slots + " slots for " + tokens + " tokens");
        }
        if (positions.length != h || keys.length != h || values.length != h) {
            throw new IllegalArgumentException("a layer image for " + positions.length + " KV heads, the store has " + h);
        }
        if ((sizes != null) != spec.sizes() || (scores != null) != spec.scores()) {
            throw new IllegalArgumentException("a layer image " + (sizes != null ? "with" : "without") + " sizes and "
                    + (scores != null ? "with" : "without") + " scores, for a store " + spec);
        }
        for (int i = 0; i < h; i++) {
            if (positions[i].length != slots || keys[i].length != slots * d || values[i].length != slots * d
                    || sizes != null && sizes[i].length != slots || scores != null && scores[i].length != slots) {
                throw new IllegalArgumentException("head " + i + " of a layer image does not hold " + slots + " slots of " + d + " values");
            }
        }
        if (queries != null && (queryPositions == null || queryPositions.length != spec.queryWindow()
                || queries.length != spec.queryWindow() * queryHeads * d)) {
            throw new IllegalArgumentException("the recorded queries of a layer image do not fit a window of " + spec.queryWindow());
        }
    }
}
