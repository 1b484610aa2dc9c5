package dev.chelsea.tools.eval;

import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.backend.cpu.CpuBackend;
import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.KvLayout;

import java.util.SplittableRandom;

/**
 * Finds the kept ratio at which a policy uses the same memory as another. A kept ratio is not a
 * memory figure: Chelsea and SnapKV run up to one chunk over their budget before compressing,
 * Chelsea's per-chunk merge counts can undershoot it, and policies keep different bookkeeping per
 * slot (cluster sizes, scores). At a short context these differences are a large part of the
 * budget.
 *
 * <p>How many slots a policy holds depends only on how many tokens arrived and when, never on
 * their content, so the memory of a run is replayed here on a bare cache of the model's shape
 * with random keys and values, without the model, in the same batches as {@link OnlinePerplexity}
 * followed by the same greedy continuation.
 */
public final class MemoryCalibration {
    private MemoryCalibration() {
    }

    /**
     * KV memory of a run.
     *
     * @param peakBytes the most bytes held at any point
     * @param meanBytes bytes held after each batch of the read, averaged over its tokens (as
     *                  {@link OnlinePerplexity.Result#meanBytes()} measures it)
     */
    public record Usage(long peakBytes, double meanBytes) {
        /** Whether neither figure exceeds {@code limit}'s. */
        public boolean within(Usage limit) {
            return peakBytes <= limit.peakBytes && meanBytes <= limit.meanBytes * (1 + 1e-12);
        }
    }

    /**
     * Memory of reading {@code tokens} tokens in batches of {@code batch} (the prompt ending after
     * the first) and then decoding {@code decodeSteps} tokens one at a time.
     */
    public static Usage usage(KvCacheConfig kv, KvLayout layout, int tokens, int batch, int decodeSteps) {
        int max = tokens + decodeSteps;
        try (Parallel serial = new Parallel(1)) {
            return usage(CpuBackend.newCache(kv, layout, max, serial), tokens, batch, decodeSteps);
        }
    }

    private static Usage usage(KvCache<CpuKvStore> cache, int tokens, int batch, int decodeSteps) {
        KvLayout layout = cache.layout();
        int max = tokens + decodeSteps;
        int row = layout.rowFloats();
        float[] k = new float[batch * row], v = new float[batch * row];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) random.nextDouble(-1, 1);
            v[i] = (float) random.nextDouble(-1, 1);
        }
        double byteTokens = 0;
        for (int t = 0; t < max; ) {
            int n = t < tokens ? Math.min(batch, tokens - t) : 1;
            for (int l = 0; l < layout.layers(); l++) {
                cache.store().append(l, k, v, n);
            }
            cache.commit(n);
            if (t == 0) {
                cache.endPrefill();
            }
            if (t < tokens) {
                byteTokens += (double) cache.stats().totalBytes() * n;
            }
            t += n;
        }
        return new Usage(cache.stats().peakBytes(), byteTokens / tokens);
    }

    /**
     * The largest kept ratio (to 1e-4) at which {@code kv} uses no more memory than
     * {@code limit} over such a run, by peak and by mean alike: a policy that runs over its
     * budget between compressions must not gain from it. When even the smallest budget (sinks +
     * window) is over the limit, returns the smallest ratio tried: the caller reports the bytes it
     * measures, which will then be above the limit.
     */
    public static double matchRatio(KvCacheConfig kv, KvLayout layout, int tokens, int batch, int decodeSteps, Usage limit) {
        double lo = 1e-4, hi = 1.0;
        if (usage(kv.withKeptRatio(hi), layout, tokens, batch, decodeSteps).within(limit)) {
            return hi;
        }
        while (hi - lo > 1e-4) {
            double mid = (lo + hi) / 2;
            if (usage(kv.withKeptRatio(mid), layout, tokens, batch, decodeSteps).within(limit)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
