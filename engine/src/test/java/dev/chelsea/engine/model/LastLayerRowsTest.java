package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.kv.HostKvStore;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.testing.Shared;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A prompt's last layer runs its queries, attention and feed-forward only for the tokens whose
 * logits are read (the others need only their keys and values there): the logits of a prompt read
 * so, and of the tokens decoded after it, against a session that asks for every token's logits
 * (which runs every row), on models with and without query/key biases and norms, on integer and
 * float kernels. A prompt of 150 tokens is two batches: one that reads no logits, then one that
 * reads the last token's.
 */
class LastLayerRowsTest {
    static final int PROMPT = 150;
    static final int DECODED = 4;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-q4_0", "llama-q4_k_m", "llama-f32", "qwen2-q8_0", "qwen3-f32"})
    void logitsMatchAPassOverEveryRow(String name) {
        Path file = Shared.resolve("models/synthetic/" + name + ".gguf");
        try (Model model = Model.load(file, new ModelOptions(2, 256, BackendChoice.CPU))) {
            int vocab = model.config().vocabSize();
            int[] prompt = new SplittableRandom(5).ints(PROMPT, 1, vocab).toArray();
            try (Session skipping = model.newSession(KvCacheConfig.full()); Session every = model.newSession(KvCacheConfig.full())) {
                assertFalse(((HostKvStore) skipping.cache().store()).needsEveryQuery(), "the full cache reads no queries");
                float[] got = skipping.prefill(prompt);
                float[] all = every.feedAllLogits(prompt, 0, PROMPT, 128);
                float[] want = row(all, PROMPT - 1, vocab);
                float tolerance = name.endsWith("f32") ? 1e-4f : 2e-2f;
                float off = largestDifference(want, got);
                assertTrue(off <= tolerance * largest(want), name + ": the prompt's logits differ by " + off + ", largest " + largest(want));
                // and they are the last token's, not a neighbour's
                float neighbour = largestDifference(row(all, PROMPT - 2, vocab), got);
                assertTrue(off < neighbour / 4, name + ": " + off + " from the last token's logits, " + neighbour + " from the one before");
                for (int i = 0; i < DECODED; i++) {
                    int token = Ops.argmax(want, 0, vocab);
                    // decode reads each new token's logits: every row runs in both, over the caches the prompts left
                    want = every.decode(token);
                    got = skipping.decode(token);
                    off = largestDifference(want, got);
                    assertTrue(off <= tolerance * largest(want), name + " decode step " + i + ": logits differ by " + off);
                }
            }
        }
    }

    /*
     * Float models may differ by rounding only (the last token's products then run alone, in another
     * order of additions). Quantized ones more: alone, a token takes the few-vector kernels, on 8-bit
     * activations where some formats' batches run on floats (Q8_0, Q6_K), as every decoded token
     * does; half of ReferenceLogitsTest's tolerance against llama.cpp.
     */

    private static float[] row(float[] logits, int row, int vocab) {
        float[] r = new float[vocab];
        System.arraycopy(logits, row * vocab, r, 0, vocab);
        return r;
    }

    private static float largest(float[] v) {
        float max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        return max;
    }

    private static float largestDifference(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** Policies that score attention or vote with recent queries see every query, and a store that needs them refuses to skip any. */
    @Test
    void policiesThatReadQueriesGetEveryRow() {
        try (Model model = Model.load(Shared.stories(), new ModelOptions(2, 256, BackendChoice.CPU))) {
            int[] prompt = new SplittableRandom(9).ints(40, 1, model.config().vocabSize()).toArray();
            for (KvCacheConfig kv : new KvCacheConfig[] {KvCacheConfig.defaults().withPolicy("h2o").withKeptRatio(0.5),
                    KvCacheConfig.defaults().withPolicy("snapkv").withKeptRatio(0.5)}) {
                try (Session s = model.newSession(kv)) {
                    CpuKvStore store = (CpuKvStore) s.cache().store();
                    s.prefill(prompt);
                    assertTrue(store.needsEveryQuery(), kv.policy() + " reads queries");
                    int heads = model.config().heads(), row = heads * model.config().headDim();
                    assertThrows(IllegalStateException.class,
                            () -> store.attendLast(0, new float[row], 2, 1, heads, new float[row]), kv.policy());
                }
            }
            try (Session s = model.newSession(KvCacheConfig.full())) {
                CpuKvStore store = (CpuKvStore) s.cache().store();
                assertThrows(IllegalArgumentException.class, () -> store.attendLast(0, new float[0], 1, 2, 1, new float[0]));
            }
        }
    }
}
