package dev.chelsea.engine.kv;

import dev.chelsea.engine.backend.cpu.CpuBackend;
import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.testing.ReferenceAttention;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Drives caches directly with generated keys, values and queries, and computes float64 references. */
final class KvTestSupport {
    static final Parallel SERIAL = new Parallel(1);

    private KvTestSupport() {
    }

    /** Tokens for every layer: {@code k[layer]} and {@code v[layer]} are {@code [n][kvHeads * headDim]}. */
    record Tokens(float[][] k, float[][] v, int n) {
        Tokens slice(KvLayout layout, int from, int count) {
            int row = layout.rowFloats();
            float[][] ks = new float[k.length][], vs = new float[v.length][];
            for (int l = 0; l < k.length; l++) {
                ks[l] = Arrays.copyOfRange(k[l], from * row, (from + count) * row);
                vs[l] = Arrays.copyOfRange(v[l], from * row, (from + count) * row);
            }
            return new Tokens(ks, vs, count);
        }
    }

    static Tokens randomTokens(KvLayout layout, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int row = layout.rowFloats();
        float[][] k = new float[layout.layers()][n * row], v = new float[layout.layers()][n * row];
        for (int l = 0; l < layout.layers(); l++) {
            for (int i = 0; i < n * row; i++) {
                k[l][i] = (float) gaussian(rnd);
                v[l][i] = (float) gaussian(rnd);
            }
        }
        return new Tokens(k, v, n);
    }

    static float[] randomQueries(int n, int heads, int headDim, double scale, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] q = new float[n * heads * headDim];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (scale * gaussian(rnd));
        }
        return q;
    }

    static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble(), w = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
    }

    /** Appends to every layer and commits, without attention (enough for policies that do not score). */
    static void feed(KvCache<CpuKvStore> cache, Tokens t) {
        for (int l = 0; l < t.k().length; l++) {
            cache.store().append(l, t.k()[l], t.v()[l], t.n());
        }
        cache.commit(t.n());
    }

    /** Feeds {@code t} one batch at a time, attending with {@code q} ({@code [n][heads * headDim]}, the same for every layer). */
    static float[][] feedAttending(KvCache<CpuKvStore> cache, Tokens t, float[] q, int heads) {
        KvLayout layout = cache.layout();
        float[][] out = new float[layout.layers()][t.n() * heads * layout.headDim()];
        for (int l = 0; l < layout.layers(); l++) {
            cache.store().append(l, t.k()[l], t.v()[l], t.n());
            cache.store().attend(l, q, t.n(), heads, out[l]);
        }
        cache.commit(t.n());
        return out;
    }

    /** Feeds the tokens one by one (a decode loop), attending with the matching query rows. */
    static void decode(KvCache<CpuKvStore> cache, Tokens t, float[] q, int heads) {
        int qRow = heads * cache.layout().headDim();
        for (int i = 0; i < t.n(); i++) {
            feedAttending(cache, t.slice(cache.layout(), i, 1), Arrays.copyOfRange(q, i * qRow, (i + 1) * qRow), heads);
        }
    }

    /**
     * Attention of one query head in float64 over the first {@code slots} entries of a KV head,
     * with {@code log(size)} added when {@code logSizes} is given.
     */
    static double[] referenceAttention(float[] q, int qOff, float[] keys, float[] values, float[] logSizes, int slots, int d) {
        return ReferenceAttention.output(q, qOff, keys, values, logSizes, slots, d);
    }

    /** A CPU cache that attends and compresses on one thread. */
    static KvCache<CpuKvStore> newCache(KvCacheConfig config, KvLayout layout, int maxTokens) {
        return CpuBackend.newCache(config, layout, maxTokens, SERIAL);
    }

    static KvCache<CpuKvStore> newCache(KvCacheConfig config, KvLayout layout, int maxTokens, Parallel parallel) {
        return CpuBackend.newCache(config, layout, maxTokens, parallel);
    }

    static KvLayout layout(int layers, int kvHeads, int headDim) {
        return new KvLayout(layers, kvHeads, headDim);
    }

    /**
     * A policy over a float32 store: these tests compare slots bitwise with what was appended (the
     * f16 store has its own tests, {@code HalfKvStoreTest} and {@code KvAttentionReferenceTest}).
     */
    static KvCacheConfig config(String policy, int budget, int chunk, int sinks, int window) {
        return new KvCacheConfig(policy, 1.0, budget, chunk, sinks, window, true).withKvType(KvType.F32);
    }

    /** As {@link #config}, with a kept ratio. */
    static KvCacheConfig ratio(String policy, double ratio, int chunk, int sinks, int window) {
        return new KvCacheConfig(policy, ratio, 0, chunk, sinks, window, true).withKvType(KvType.F32);
    }

    /** The full cache over a float32 store. */
    static KvCacheConfig fullFloat() {
        return KvCacheConfig.full().withKvType(KvType.F32);
    }
}
