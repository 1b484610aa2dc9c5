package dev.chelsea.engine.kv;

/**
 * What a policy needs its store to keep besides keys, values and positions.
 *
 * @param sizes       cluster sizes per slot (merging policies)
 * @param sizeBias    attention adds {@code log(size)} to the logits of merged slots
 * @param scores      accumulated attention per slot, which moves with the slot (scoring policies)
 * @param queryWindow the last this many queries of each layer are kept for the policy to read (0 = none)
 * @param spareSlots  free slots kept after a compression and added when growing during decoding;
 *                    negative means grow geometrically (a cache that only appends)
 */
public record KvStoreSpec(boolean sizes, boolean sizeBias, boolean scores, int queryWindow, int spareSlots) {
    public KvStoreSpec {
        if (queryWindow < 0) {
            throw new IllegalArgumentException("query window must not be negative, got " + queryWindow);
        }
        sizeBias = sizes && sizeBias;
    }

    /** A store that only appends: the full cache. */
    public static KvStoreSpec appendOnly() {
        return new KvStoreSpec(false, false, false, 0, -1);
    }
}
