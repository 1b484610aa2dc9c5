package dev.chelsea.engine.kv;

import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.testing.ReferenceAttention;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.chelsea.engine.kv.KvTestSupport.layout;
import static dev.chelsea.engine.kv.KvTestSupport.randomQueries;
import static dev.chelsea.engine.kv.KvTestSupport.randomTokens;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A prompt batch, tiled or (when small) attended query by query, adds each query's softmax
 * weights to the attention scores of the slots, exactly once per query and KV head, when the
 * store scores; a store that does not score is left untouched.
 */
class PromptBatchWeightsTest {
    private static final int D = 20, HEADS = 8, KV_HEADS = 2, GROUP = HEADS / KV_HEADS;

    @Test
    void everyQueryOfABatchAddsTheReferenceSoftmaxToTheScores() {
        KvLayout layout = layout(1, KV_HEADS, D);
        // 37 and 70 queries take the tiled kernel, 3 (12 rows) the query-by-query one.
        int[] batches = {37, 70, 3};
        int tokens = 37 + 70 + 3;
        long seed = System.nanoTime();
        KvTestSupport.Tokens t = randomTokens(layout, tokens, seed);
        float[] q = randomQueries(tokens, HEADS, D, 2.0, seed + 1);
        int qRow = HEADS * D;
        KvStoreSpec spec = new KvStoreSpec(false, false, true, 0, -1);
        try (Parallel threads = new Parallel(2)) {
            CpuKvStore scoring = new CpuKvStore(layout, spec, threads), silent = new CpuKvStore(layout, spec, threads);
            scoring.setScoring(true);
            for (CpuKvStore store : new CpuKvStore[] {scoring, silent}) {
                for (int b = 0, from = 0; b < batches.length; from += batches[b++]) {
                    KvTestSupport.Tokens batch = t.slice(layout, from, batches[b]);
                    store.append(0, batch.k()[0], batch.v()[0], batches[b]);
                    store.attend(0, Arrays.copyOfRange(q, from * qRow, (from + batches[b]) * qRow), batches[b], HEADS,
                            new float[batches[b] * qRow]);
                }
            }
            for (int h = 0; h < KV_HEADS; h++) {
                double[] expected = new double[tokens];
                for (int pos = 0; pos < tokens; pos++) {
                    for (int g = 0; g < GROUP; g++) {
                        double[] p = ReferenceAttention.weights(q, pos * qRow + (h * GROUP + g) * D, scoring.keys(0, h), null, pos + 1, D);
                        for (int j = 0; j <= pos; j++) {
                            expected[j] += p[j];
                        }
                    }
                }
                for (int j = 0; j < tokens; j++) {
                    float got = scoring.scores(0, h)[j];
                    assertTrue(Math.abs(got - expected[j]) <= 1e-4 * expected[j] + 1e-7,
                            "seed " + seed + ", head " + h + " slot " + j + ": " + got + " vs " + expected[j]);
                    assertEquals(0f, silent.scores(0, h)[j], "a store that does not score keeps zeros");
                }
            }
        }
    }
}
