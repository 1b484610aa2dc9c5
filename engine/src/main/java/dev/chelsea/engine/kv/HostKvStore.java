package dev.chelsea.engine.kv;

import dev.chelsea.engine.kernel.Parallel;

/**
 * A store in host memory: the CPU backend's. Its forward pass appends and attends through float
 * arrays, and policies that score slots on the host (h2o, snapkv) read keys, scores and recent
 * queries in place. The arrays returned are the live storage, valid up to {@link #slots} entries
 * until the next append or change; callers must not write to them.
 */
public interface HostKvStore extends KvStore {

    /**
     * Stores keys and values ({@code [n][kvHeads * headDim]}, keys already rotated) of {@code n}
     * new tokens of {@code layer}, at the next positions of that layer.
     */
    void append(int layer, float[] k, float[] v, int n);

    /**
     * Attention of the {@code n} tokens just appended to {@code layer}: query {@code i}
     * ({@code q} is {@code [n][heads * headDim]}) sees every slot held before this batch and the
     * batch's own slots {@code 0..i}. Writes {@code [n][heads * headDim]} into {@code out}.
     */
    void attend(int layer, float[] q, int n, int heads, float[] out);

    /**
     * Whether the policy reads every token's query (it scores the attention each slot receives, or
     * keeps a window of recent queries): then every token of a batch must {@link #attend}. Where it
     * does not, the forward pass leaves out the last layer's queries whose outputs nothing reads
     * ({@link #attendLast}). True unless a store says otherwise.
     */
    default boolean needsEveryQuery() {
        return true;
    }

    /**
     * Attention of only the last {@code m} of the {@code n} tokens just appended to {@code layer}
     * ({@code 0 <= m <= n}): {@code q} holds their {@code m} queries, {@code [m][heads * headDim]},
     * and query {@code i} is token {@code n - m + i} of the batch, seeing every slot before it as in
     * {@link #attend}. Writes {@code [m][heads * headDim]} into {@code out}. With {@code m < n} only
     * where {@link #needsEveryQuery} is false; a store that keeps that default answers {@code m == n} only.
     */
    default void attendLast(int layer, float[] q, int n, int m, int heads, float[] out) {
        if (m != n) {
            throw new UnsupportedOperationException("the KV store " + getClass().getSimpleName() + " attends every query of a batch");
        }
        attend(layer, q, n, heads, out);
    }

    /** Keys of one head, {@code [slot * headDim + d]}. */
    float[] keys(int layer, int head);

    /** Values of one head, {@code [slot * headDim + d]}. */
    float[] values(int layer, int head);

    /** Cluster sizes of one head, or null if the store keeps none. */
    float[] sizes(int layer, int head);

    /** Attention received by each slot of one head since it arrived or the last reset, or null if not scoring. */
    float[] scores(int layer, int head);

    /** Query heads of the recorded queries (0 before the first attention). */
    int queryHeads();

    /** Queries recorded for {@code layer} so far (at most the spec's window are kept). */
    int queriesSeen(int layer);

    /** Recorded queries of {@code layer}, a ring of {@code [window][heads * headDim]}; entry {@code r} is query number {@code r mod window}. */
    float[] queries(int layer);

    /** Absolute positions of the recorded queries, same ring. */
    int[] queryPositions(int layer);

    /** The worker threads of the backend, for policies that score many heads. */
    Parallel parallel();
}
