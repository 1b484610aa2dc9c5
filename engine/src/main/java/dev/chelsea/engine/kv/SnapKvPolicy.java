package dev.chelsea.engine.kv;

import dev.chelsea.engine.kernel.Attention;

import java.util.Set;

import static dev.chelsea.engine.kv.SlotRanking.floatKey;
import static dev.chelsea.engine.kv.SlotRanking.lowest;

/**
 * SnapKV (arXiv 2404.14469): at the end of the prompt, the last {@code recentWindow} prompt
 * queries (the observation window) vote on the entries before them: their attention, summed over
 * the window's queries and the query heads of the GQA group, is max-pooled along the sequence
 * (kernel 7, as KVCache-Factory does) so that neighbours of a chosen entry come along, and the
 * top entries are kept with the window itself.
 *
 * <p>The paper does not compress during decoding, so its memory grows again with every generated
 * token. To stay at equal memory with the other policies, this one <b>re-votes</b>: attention
 * received during decoding is accumulated, and when a layer exceeds its budget by more than one
 * chunk (the same trigger and slack as Chelsea), the queries since the last vote act as the
 * observation window and the same pooled top-k selection brings it back to the budget. The
 * re-vote reuses attention weights already computed for decoding, so it costs a sort, not a pass.
 */
public final class SnapKvPolicy extends BudgetedPolicy {
    static final int POOL_KERNEL = 7;

    public SnapKvPolicy(KvCacheConfig config, int layers) {
        this(config, layers, 0);
    }

    /** Under {@code config}'s limit in bytes, at {@code bytesPerSlot} a slot of every layer and KV head (0: no limit). */
    public SnapKvPolicy(KvCacheConfig config, int layers, long bytesPerSlot) {
        super(config, layers, bytesPerSlot);
    }

    @Override
    public String name() {
        return "snapkv";
    }

    @Override
    public Set<KvStore.Feature> requires() {
        return Set.of(KvStore.Feature.KEEP, KvStore.Feature.ATTENTION_SCORES, KvStore.Feature.HOST_READ);
    }

    @Override
    public KvStoreSpec storeSpec() {
        return new KvStoreSpec(false, false, true, config.recentWindow(), spareSlots());
    }

    /** Votes during decoding come from the attention of the decoded tokens; the prompt votes with its stored queries. */
    @Override
    public boolean scoresAttention(boolean inPrompt) {
        return !inPrompt;
    }

    @Override
    public int slack() {
        return config.chunkSize();
    }

    @Override
    public KvPlan plan(KvStore store, int[] targets, boolean endOfPrompt) {
        HostKvStore host = (HostKvStore) store;
        int layers = store.layout().layers(), heads = store.layout().kvHeads();
        int[][][] kept = new int[layers][heads][];
        host.parallel().forEach(layers * heads, task -> {
            int l = task / heads, h = task % heads;
            if (targets[l] >= 0) {
                kept[l][h] = keep(host, l, h, targets[l], endOfPrompt);
            }
        });
        KvPlan.Layer[] plan = perLayer(targets, l -> new KvPlan.Keep(kept[l]));
        return new KvPlan(plan, true);
    }

    private int[] keep(HostKvStore store, int layer, int head, int target, boolean endOfPrompt) {
        int n = store.slots(layer);
        int recent = Math.min(config.recentWindow(), n);
        int prefix = n - recent;
        int keep = target - recent;
        float[] votes = endOfPrompt ? voteWithObservedQueries(store, layer, head, n, prefix) : store.scores(layer, head);
        float[] pooled = maxPool(votes, prefix);
        int[] kept = new int[target];
        lowest(j -> floatKey(-pooled[j]), 0, prefix, keep, kept);
        for (int j = 0; j < recent; j++) {
            kept[keep + j] = prefix + j;
        }
        return kept;
    }

    /**
     * The attention the stored observation queries give each entry of {@code [0, prefix)} (scaled
     * dot product and softmax over everything each query could see, as in the prompt's own
     * attention), summed over queries and the query heads of the group.
     */
    private static float[] voteWithObservedQueries(HostKvStore store, int layer, int head, int n, int prefix) {
        float[] votes = new float[n];
        int d = store.layout().headDim();
        int heads = store.queryHeads();
        int group = heads / store.layout().kvHeads();
        int row = heads * d;
        int seen = store.queriesSeen(layer);
        float[] observed = store.queries(layer);
        int window = observed.length / Math.max(row, 1);
        int count = Math.min(seen, window);
        int[] observedPositions = store.queryPositions(layer);
        // Slots after the last compression are in order, so the newest token is the last slot.
        int position = store.positions(layer, head)[n - 1] + 1;
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] k = store.keys(layer, head);
        float[] logits = new float[n];
        for (int r = 0; r < count; r++) {
            // The observed queries are the newest tokens, so they sit in the uncompressed window.
            int slot = n - (position - observedPositions[r]);
            if (slot < 0) {
                continue;
            }
            for (int g = 0; g < group; g++) {
                int qo = r * row + (head * group + g) * d;
                for (int j = 0; j <= slot; j++) {
                    logits[j] = Attention.dot(observed, qo, k, j * d, d) * scale;
                }
                Attention.softmax(logits, 0, slot + 1);
                for (int j = 0; j < Math.min(prefix, slot + 1); j++) {
                    votes[j] += logits[j];
                }
            }
        }
        return votes;
    }

    /** Max over a centred window of {@link #POOL_KERNEL} entries, clipped at the ends. */
    static float[] maxPool(float[] x, int n) {
        float[] y = new float[n];
        int half = POOL_KERNEL / 2;
        for (int j = 0; j < n; j++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int t = Math.max(0, j - half); t <= Math.min(n - 1, j + half); t++) {
                m = Math.max(m, x[t]);
            }
            y[j] = m;
        }
        return y;
    }
}
