package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.backend.BackendType;
import dev.chelsea.engine.backend.Backends;
import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA backend against the CPU engine on the same files (run by {@code bin/gpu-check} on a
 * machine with a GPU; skipped elsewhere). Logits are compared relative to the largest logit at
 * each position, with the tolerances of the llama.cpp comparison: the GPU keeps its KV cache in
 * f16, multiplies prefill batches in TF32 and decodes quantized matrices with 8-bit activations,
 * as llama.cpp does, so its differences from the float32 CPU engine are of the same size.
 */
@Tag("gpu")
class CudaGpuTest {

    @BeforeAll
    static void needsAGpu() {
        var a = Backends.probe(BackendType.CUDA, 0);
        Assumptions.assumeTrue(a.available(), "no usable GPU: " + a.detail());
    }

    static double relativeTolerance(String model) {
        if (model.endsWith("f16") || model.endsWith("bf16") || model.endsWith("f32") || model.startsWith("stories")) {
            return 1e-2;
        }
        return 4e-2;
    }

    static List<Path> models() throws IOException {
        return KernelCallsTest.models();
    }

    private static int[] tokens(Path model, int n, int vocab) throws IOException {
        String[] ids = Files.readString(Shared.resolve("data/reference/synthetic/long.tokens")).trim().split("\\s+");
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = Integer.parseInt(ids[i % ids.length]) % vocab;
        }
        return t;
    }

    /** Largest error relative to the position's largest logit, checked against the tolerance at every position. */
    private static double compare(String label, float[] cpu, float[] gpu, int vocab, double tol) {
        assertEquals(cpu.length, gpu.length);
        double worst = 0;
        for (int p = 0; p < cpu.length / vocab; p++) {
            double scale = 1;
            for (int i = 0; i < vocab; i++) {
                scale = Math.max(scale, Math.abs(cpu[p * vocab + i]));
            }
            for (int i = 0; i < vocab; i++) {
                double err = Math.abs(cpu[p * vocab + i] - gpu[p * vocab + i]) / scale;
                worst = Math.max(worst, err);
                assertTrue(err <= tol, label + " position " + p + " id " + i + ": gpu " + gpu[p * vocab + i] + " cpu " + cpu[p * vocab + i]);
            }
        }
        return worst;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void prefillAndDecodeLogitsMatchTheCpu(Path file) throws IOException {
        String name = file.getFileName().toString().replace(".gguf", "");
        double tol = relativeTolerance(name);
        try (Model cpu = Model.load(file, new ModelOptions(4, 1024, BackendChoice.CPU));
             Model gpu = Model.load(file, new ModelOptions(4, 1024, BackendChoice.CUDA))) {
            assertEquals(BackendType.CUDA, gpu.backendType());
            int vocab = cpu.config().vocabSize();
            int[] prompt = tokens(file, 700, vocab);
            try (Session c = cpu.newSession(KvCacheConfig.full()); Session g = gpu.newSession(KvCacheConfig.full())) {
                // Two prompt batches (512 + 188 on the GPU), all logits.
                double worst = compare(name + " prefill", c.feedAllLogits(prompt, 0, prompt.length, Integer.MAX_VALUE),
                        g.feedAllLogits(prompt, 0, prompt.length, Integer.MAX_VALUE), vocab, tol);
                // Decode steps replay the captured graph.
                int next = prompt[prompt.length - 1];
                for (int i = 0; i < 12; i++) {
                    float[] lc = c.decode(next);
                    float[] lg = g.decode(next);
                    worst = Math.max(worst, compare(name + " decode " + i, lc, lg, vocab, tol));
                    next = Ops.argmax(lc, 0, vocab);
                }
                System.out.printf("%s: worst relative logit error %.2e (tolerance %.0e)%n", name, worst, tol);
            }
        }
    }

    @Test
    void greedyStoriesAreTheCpusWordForWord() {
        try (Model cpu = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CPU));
             Model gpu = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CUDA))) {
            for (String prompt : List.of("Once upon a time", "Lily wanted to", "The sun was")) {
                GenerationRequest r = new GenerationRequest(cpu.encodeText(prompt), SamplingParams.GREEDY, 200, List.of(), null);
                GenerationResult a = new Generator(cpu).generate(r, null, null);
                GenerationResult b = new Generator(gpu).generate(r, null, null);
                assertEquals(a.text(), b.text(), prompt);
            }
        }
    }

    @Test
    void sessionsDecodeConcurrentlyAsTheyWouldAlone() throws Exception {
        try (Model gpu = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CUDA))) {
            List<String> prompts = List.of("Once upon a time", "Tom had a dog", "The little bird", "One day, Lily");
            List<int[]> alone = new ArrayList<>();
            for (String p : prompts) {
                alone.add(new Generator(gpu).generate(new GenerationRequest(gpu.encodeText(p), SamplingParams.GREEDY, 120, List.of(), null), null, null).tokens());
            }
            ExecutorService pool = Executors.newFixedThreadPool(prompts.size());
            try {
                List<Future<int[]>> together = new ArrayList<>();
                for (String p : prompts) {
                    together.add(pool.submit(() -> new Generator(gpu).generate(
                            new GenerationRequest(gpu.encodeText(p), SamplingParams.GREEDY, 120, List.of(), null), null, null).tokens()));
                }
                for (int i = 0; i < prompts.size(); i++) {
                    assertArrayEquals(alone.get(i), together.get(i).get(), prompts.get(i));
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void aContextThatDoesNotFitIsRefusedWithTheNumbers() {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> Model.load(Shared.resolve("models/synthetic/llama-q8_0.gguf"), new ModelOptions(1, Integer.MAX_VALUE / 4, BackendChoice.CUDA)));
        assertTrue(e.getMessage().contains("device memory") && e.getMessage().contains("lower the context length"), e.getMessage());
    }

    @Test
    void policiesTheGpuStoreCannotRunAreRefusedByName() {
        try (Model gpu = Model.load(Shared.stories(), new ModelOptions(1, 256, BackendChoice.CUDA))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.newSession(KvCacheConfig.defaults()));
            assertTrue(e.getMessage().contains("'chelsea' cannot run on the cuda backend") && e.getMessage().contains("policies that run there: full"),
                    e.getMessage());
        }
    }

    @Test
    void decodeAttentionAtLongContextMatchesFloat64() {
        AttentionCheck.run(16384, 64, 32, 8, 1e-3);
        AttentionCheck.run(40000, 128, 8, 1, 1e-3);
        AttentionCheck.run(3000, 32, 8, 2, 1e-3);
    }

    static float[] half(float[] x) {
        float[] r = Arrays.copyOf(x, x.length);
        for (int i = 0; i < r.length; i++) {
            r[i] = Float.float16ToFloat(Float.floatToFloat16(r[i]));
        }
        return r;
    }
}
