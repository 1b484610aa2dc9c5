package dev.chelsea.engine.kv;

import dev.chelsea.engine.testing.ReferenceAttention;

import dev.chelsea.engine.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static dev.chelsea.engine.kv.KvTestSupport.layout;
import static dev.chelsea.engine.kv.KvTestSupport.randomQueries;
import static dev.chelsea.engine.kv.KvTestSupport.randomTokens;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A prompt batch, tiled or (when small) attended query by query, tells a policy that asks for
 * attention weights each query's softmax weights, {@code [group][visible]}, exactly once per query
 * and KV head; a policy that does not ask is not called for batches.
 */
class PromptBatchWeightsTest {
    private static final int D = 20, HEADS = 8, KV_HEADS = 2, GROUP = HEADS / KV_HEADS;

    /** Records what {@link #onAttention} receives. */
    private static final class Recording extends DenseKvCache {
        final boolean wants;
        final Map<String, float[]> seen = new ConcurrentHashMap<>();

        Recording(KvLayout layout, boolean wants) {
            super(layout, 1024, false, false);
            this.wants = wants;
        }

        @Override
        public String policy() {
            return "recording";
        }

        @Override
        protected boolean compress(boolean endOfPrompt) {
            return false;
        }

        @Override
        protected boolean wantsAttentionWeights() {
            return wants;
        }

        @Override
        protected void onAttention(int layer, int head, int i, int n, float[] weights, int group, int visible) {
            assertEquals(GROUP, group);
            float[] previous = seen.put(layer + "/" + head + "/" + i + "/" + visible, Arrays.copyOf(weights, group * visible));
            assertEquals(null, previous, "reported twice");
        }
    }

    @Test
    void everyQueryOfABatchReportsTheReferenceSoftmax() {
        KvLayout layout = layout(1, KV_HEADS, D);
        int[] batches = {37, 70, 3};
        int tokens = 37 + 70 + 3;
        long seed = System.nanoTime();
        KvTestSupport.Tokens t = randomTokens(layout, tokens, seed);
        float[] q = randomQueries(tokens, HEADS, D, 2.0, seed + 1);
        int qRow = HEADS * D;
        try (Parallel threads = new Parallel(2)) {
            Recording wants = new Recording(layout, true), ignores = new Recording(layout, false);
            int[] index = new int[tokens];
            for (Recording cache : new Recording[] {wants, ignores}) {
                for (int b = 0, from = 0; b < batches.length; from += batches[b++]) {
                    KvTestSupport.feedAttending(cache, t.slice(layout, from, batches[b]),
                            Arrays.copyOfRange(q, from * qRow, (from + batches[b]) * qRow), HEADS, threads);
                    for (int i = 0; i < batches[b]; i++) {
                        index[from + i] = i;
                    }
                }
            }
            assertTrue(ignores.seen.isEmpty(), ignores.seen.keySet().toString());
            assertEquals(KV_HEADS * tokens, wants.seen.size());
            for (int h = 0; h < KV_HEADS; h++) {
                for (int pos = 0; pos < tokens; pos++) {
                    float[] w = wants.seen.get("0/" + h + "/" + index[pos] + "/" + (pos + 1));
                    for (int g = 0; g < GROUP; g++) {
                        double[] p = ReferenceAttention.weights(q, pos * qRow + (h * GROUP + g) * D, wants.keys[0][h], null, pos + 1, D);
                        for (int j = 0; j <= pos; j++) {
                            assertTrue(Math.abs(w[g * (pos + 1) + j] - p[j]) <= 1e-5 * p[j] + 1e-9,
                                    "seed " + seed + ", position " + pos + " head " + h + "/" + g + " slot " + j + ": " + w[g * (pos + 1) + j] + " vs " + p[j]);
                        }
                    }
                }
            }
        }
    }
}
