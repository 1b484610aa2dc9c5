package dev.chelsea.tools.eval;

import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPolicies;
import dev.chelsea.engine.kv.KvPolicy;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AttentionErrorProbeTest {
    private static final KvLayout LAYOUT = new KvLayout(2, 2, 16);
    private static final int HEADS = 4;
    private static final Parallel SERIAL = new Parallel(1);

    private record Run(AttentionErrorProbe probe, KvCache<AttentionErrorProbe> cache) {
    }

    private static Run run(String policy, double keptRatio) {
        KvCacheConfig config = new KvCacheConfig(policy, keptRatio, 0, 16, 4, 16, true);
        KvPolicy p = KvPolicies.create(config, LAYOUT.layers());
        AttentionErrorProbe probe = new AttentionErrorProbe(new CpuKvStore(LAYOUT, p.storeSpec(), SERIAL));
        KvCache<AttentionErrorProbe> cache = new KvCache<>(probe, p, 1024);
        SplittableRandom rnd = new SplittableRandom(1);
        step(cache, 300, rnd);
        cache.endPrefill();
        for (int i = 0; i < 100; i++) {
            step(cache, 1, rnd);
        }
        return new Run(probe, cache);
    }

    /** Appends {@code n} random tokens to every layer and attends with random queries. */
    private static void step(KvCache<AttentionErrorProbe> cache, int n, SplittableRandom rnd) {
        int row = LAYOUT.rowFloats(), qRow = HEADS * LAYOUT.headDim();
        for (int l = 0; l < LAYOUT.layers(); l++) {
            float[] k = random(rnd, n * row, 1), v = random(rnd, n * row, 1), q = random(rnd, n * qRow, 1.5);
            cache.store().append(l, k, v, n);
            cache.store().attend(l, q, n, HEADS, new float[n * qRow]);
        }
        cache.commit(n);
    }

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (scale * rnd.nextGaussian());
        }
        return x;
    }

    @Test
    void fullCacheHasNoErrorAndCompressionHasSomeGrowingAsLessIsKept() {
        AttentionErrorProbe full = run("full", 1.0).probe();
        // Not exactly 0: the Vector API may sum a dot product's lanes in another order once the JIT
        // recompiles the kernel, which can happen between the policy's call and the shadow's.
        assertTrue(full.relativeError() < 1e-6, "full cache error " + full.relativeError());
        assertEquals(100L * HEADS * 2, full.measuredRows(), "only decode queries count");
        double half = run("chelsea", 0.5).probe().relativeError();
        double fifth = run("chelsea", 0.2).probe().relativeError();
        assertTrue(half > 1e-3 && half < fifth && fifth < 1.5, "0.5: " + half + ", 0.2: " + fifth);
        Run streaming = run("streaming", 0.2);
        assertTrue(streaming.probe().meanRelativeError() > 0 && streaming.probe().relativeError(0) > 0);
        assertEquals("streaming", streaming.cache().policy());
        assertTrue(streaming.cache().stats().slots() < 2 * 400 / 2, "stats are the policy's");
    }
}
