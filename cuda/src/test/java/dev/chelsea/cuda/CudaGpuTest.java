package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.backend.BackendType;
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
import org.junit.jupiter.api.AfterAll;
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
 * machine with a GPU, and on the host emulator by the Maven execution {@code emulated-gpu-tests}
 * with shorter prompts and fewer models: see {@link GpuTests}). Logits are compared relative to the largest logit at
 * each position, with the tolerances of the llama.cpp comparison: the GPU keeps its KV cache in
 * f16, multiplies prefill batches in TF32 and decodes quantized matrices with 8-bit activations,
 * as llama.cpp does, so its differences from the float32 CPU engine are of the same size.
 */
@Tag("gpu")
class CudaGpuTest {

    /** Models the emulator runs (each storage family and architecture once); a GPU runs them all. */
    private static final List<String> EMULATED_MODELS = List.of("stories260K", "llama-f32", "llama-q8_0", "llama-q4_k_m",
            "llama-bf16", "qwen2-q8_0", "qwen3-q8_0", "llama31-tied-f16");

    /** The model {@link #aContextThatDoesNotFitIsRefusedWithTheNumbers} loads (packed: {@link GpuPackTest}). */
    static final String TOO_LONG_CONTEXT_MODEL = "llama-q8_0";

    @BeforeAll
    static void needsAGpu() {
        GpuTests.requireDevice();
    }

    @AfterAll
    static void theEmulatedDriverHadNothingToReport() {
        GpuTests.requireNoDriverReports();
    }

    static double relativeTolerance(String model) {
        if (model.endsWith("f16") || model.endsWith("bf16") || model.endsWith("f32") || model.startsWith("stories")) {
            return 1e-2;
        }
        return 4e-2;
    }

    static List<Path> models() throws IOException {
        List<Path> all = KernelCallsTest.models();
        if (!GpuTests.emulated()) {
            return all;
        }
        List<Path> some = all.stream().filter(p -> EMULATED_MODELS.contains(p.getFileName().toString().replace(".gguf", ""))).toList();
        assertEquals(EMULATED_MODELS.size(), some.size(), "models found: " + some);
        return some;
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
    static double compare(String label, float[] cpu, float[] gpu, int vocab, double tol) {
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
            int[] prompt = tokens(file, GpuTests.size(700, 40), vocab);
            // On a GPU two prompt batches of 512 + 188; on the emulator 24 + 16: logits of more than
            // LOGIT_ROWS rows are computed in passes after the batch, those of fewer by the batch itself.
            int batch = GpuTests.size(Integer.MAX_VALUE, 24);
            try (Session c = cpu.newSession(KvCacheConfig.full()); Session g = gpu.newSession(KvCacheConfig.full())) {
                double worst = compare(name + " prefill", c.feedAllLogits(prompt, 0, prompt.length, batch),
                        g.feedAllLogits(prompt, 0, prompt.length, batch), vocab, tol);
                // Decode steps replay the captured graph.
                int next = prompt[prompt.length - 1];
                for (int i = 0; i < GpuTests.size(12, 6); i++) {
                    float[] lc = c.decode(next);
                    float[] lg = g.decode(next);
                    worst = Math.max(worst, compare(name + " decode " + i, lc, lg, vocab, tol));
                    next = Ops.argmax(lc, 0, vocab);
                }
                System.out.printf("%s: worst relative logit error %.2e (tolerance %.0e)%n", name, worst, tol);
            }
        }
    }

    /**
     * A prompt longer than one batch through {@link Session#prefill}: its batches ask for no output,
     * so nothing synchronises between them and each must leave the page-locked step buffer alone
     * until its copy has run.
     */
    @Test
    void promptsOfSeveralBatchesMatchTheCpu() throws IOException {
        Path file = Shared.stories();
        try (Model cpu = Model.load(file, new ModelOptions(2, 1024, BackendChoice.CPU));
             Model gpu = Model.load(file, new ModelOptions(2, 1024, BackendChoice.CUDA))) {
            int vocab = cpu.config().vocabSize();
            int[] prompt = tokens(file, gpu.backend().maxBatch() + 90, vocab);
            try (Session c = cpu.newSession(KvCacheConfig.full()); Session g = gpu.newSession(KvCacheConfig.full())) {
                compare("prefill", c.prefill(prompt), g.prefill(prompt), vocab, 1e-2);
                int next = 1;
                for (int i = 0; i < 4; i++) {
                    float[] lc = c.decode(next);
                    compare("decode " + i, lc, g.decode(next), vocab, 1e-2);
                    next = Ops.argmax(lc, 0, vocab);
                }
            }
        }
    }

    /**
     * What {@code bench --context-depth} does: a context read once into one session's cache and
     * copied into another's (device to device, on the source's stream), which then decodes on its
     * own stream exactly as the source would.
     */
    @Test
    void aPromptCopiedIntoAnotherSessionDecodesAsTheSource() throws IOException {
        Path file = Shared.stories();
        try (Model cpu = Model.load(file, new ModelOptions(2, 512, BackendChoice.CPU));
             Model gpu = Model.load(file, new ModelOptions(2, 512, BackendChoice.CUDA))) {
            int vocab = cpu.config().vocabSize();
            int[] prompt = tokens(file, GpuTests.size(300, 40), vocab);
            try (Session c = cpu.newSession(KvCacheConfig.full()); Session source = gpu.newSession(KvCacheConfig.full());
                 Session copy = gpu.newSession(KvCacheConfig.full())) {
                c.feed(prompt, 0, prompt.length);
                source.feed(prompt, 0, prompt.length);
                source.cache().copyPromptTo(copy.cache());
                copy.cache().endPrefill();
                assertEquals(prompt.length, copy.cache().position());
                int next = prompt[prompt.length - 1];
                for (int i = 0; i < 4; i++) {
                    float[] lc = c.decode(next), ls = source.decode(next), lk = copy.decode(next);
                    assertArrayEquals(ls, lk, "decode " + i + ": the copy against its source");
                    compare("decode " + i, lc, lk, vocab, 1e-2);
                    next = Ops.argmax(lc, 0, vocab);
                }
            }
        }
    }

    /**
     * {@code streaming} (sinks and a recent window) evicts on the device with the moves the CPU store
     * applies: after a prompt longer than its budget and at every decode step, the same slots hold
     * the same positions as on the CPU, and the logits match within the usual tolerance.
     */
    @Test
    void streamingEvictsOnTheDeviceAsOnTheCpu() throws IOException {
        Path file = Shared.stories();
        KvCacheConfig streaming = KvCacheConfig.full().withPolicy("streaming").withSinkTokens(4).withRecentWindow(8).withBudget(24);
        try (Model cpu = Model.load(file, new ModelOptions(2, 512, BackendChoice.CPU));
             Model gpu = Model.load(file, new ModelOptions(2, 512, BackendChoice.CUDA))) {
            int vocab = cpu.config().vocabSize();
            int[] prompt = tokens(file, GpuTests.size(200, 45), vocab);
            try (Session c = cpu.newSession(streaming); Session g = gpu.newSession(streaming)) {
                double worst = compare("streaming prefill", c.prefill(prompt), g.prefill(prompt), vocab, 1e-2);
                int next = prompt[prompt.length - 1];
                for (int i = 0; i < GpuTests.size(40, 12); i++) {
                    samePositions(c, g, "after step " + i);
                    float[] lc = c.decode(next);
                    worst = Math.max(worst, compare("streaming decode " + i, lc, g.decode(next), vocab, 1e-2));
                    next = Ops.argmax(lc, 0, vocab);
                }
                samePositions(c, g, "at the end");
                assertEquals(24, g.cache().store().slots(0));
                System.out.printf("streaming: worst relative logit error %.2e (tolerance 1e-2)%n", worst);
            }
        }
    }

    private static void samePositions(Session cpu, Session gpu, String when) {
        var a = cpu.cache().store();
        var b = gpu.cache().store();
        for (int l = 0; l < a.layout().layers(); l++) {
            for (int h = 0; h < a.layout().kvHeads(); h++) {
                assertEquals(a.slots(l), b.slots(l), "slots of layer " + l + " " + when);
                assertArrayEquals(Arrays.copyOf(a.positions(l, h), a.slots(l)), Arrays.copyOf(b.positions(l, h), b.slots(l)),
                        "positions of layer " + l + ", head " + h + " " + when);
            }
        }
    }

    @Test
    void greedyStoriesAreTheCpusWordForWord() {
        try (Model cpu = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CPU));
             Model gpu = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CUDA))) {
            for (String prompt : List.of("Once upon a time", "Lily wanted to", "The sun was")) {
                GenerationRequest r = new GenerationRequest(cpu.encodeText(prompt), SamplingParams.GREEDY, GpuTests.size(200, 40), List.of(), null);
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
            int tokens = GpuTests.size(120, 24);
            List<int[]> alone = new ArrayList<>();
            for (String p : prompts) {
                alone.add(new Generator(gpu).generate(new GenerationRequest(gpu.encodeText(p), SamplingParams.GREEDY, tokens, List.of(), null), null, null).tokens());
            }
            ExecutorService pool = Executors.newFixedThreadPool(prompts.size());
            try {
                List<Future<int[]>> together = new ArrayList<>();
                for (String p : prompts) {
                    together.add(pool.submit(() -> new Generator(gpu).generate(
                            new GenerationRequest(gpu.encodeText(p), SamplingParams.GREEDY, tokens, List.of(), null), null, null).tokens()));
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
                () -> Model.load(Shared.resolve("models/synthetic/" + TOO_LONG_CONTEXT_MODEL + ".gguf"),
                        new ModelOptions(1, Integer.MAX_VALUE / 4, BackendChoice.CUDA)));
        assertTrue(e.getMessage().contains("device memory") && e.getMessage().contains("lower the context length"), e.getMessage());
    }

    @Test
    void policiesTheGpuStoreCannotRunAreRefusedByName() {
        try (Model gpu = Model.load(Shared.stories(), new ModelOptions(1, 256, BackendChoice.CUDA))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.newSession(KvCacheConfig.defaults().withPolicy("h2o")));
            assertTrue(e.getMessage().contains("'h2o' cannot run on the cuda backend")
                    && e.getMessage().contains("policies that run there: full, chelsea, streaming"), e.getMessage());
        }
    }

    /**
     * Chelsea's clustering on the device against {@code ChunkedSoftMatching} and the CPU store on the
     * same keys, pass by pass: the same slots kept, the same sizes (summing to the tokens), keys and
     * values within f16 rounding; r per chunk and edges ranked across chunks; an odd chunk size
     * (its last slot a destination); planted duplicate keys, so the tie rules decide some merges.
     */
    @Test
    void deviceClusteringMakesTheCpusMerges() {
        int slots = GpuTests.size(4096, 300);
        assertTrue(ClusterCheck.sameMergesAsTheCpu(2, 64, slots, 16, 4, 8, slots / 5, false) > slots / 2);
        assertTrue(ClusterCheck.sameMergesAsTheCpu(2, 64, slots, 16, 4, 8, slots / 5, true) > slots / 2);
        assertTrue(ClusterCheck.sameMergesAsTheCpu(1, 32, slots, 11, 3, 5, slots / 3, false) > slots / 3);
        assertTrue(ClusterCheck.sameMergesAsTheCpu(1, 32, slots, 11, 3, 5, slots / 3, true) > slots / 3);
    }

    /**
     * The same on a model's own keys (stories260K after a prompt, every layer, rounded to f16), which
     * hold near-duplicates that random keys do not: the device still makes exactly the CPU's merges.
     */
    @Test
    void deviceClusteringMakesTheCpusMergesOnAModelsKeys() throws IOException {
        try (Model cpu = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CPU))) {
            int vocab = cpu.config().vocabSize();
            int[] prompt = tokens(Shared.stories(), GpuTests.size(400, 120), vocab);
            try (Session c = cpu.newSession(KvCacheConfig.full())) {
                c.feed(prompt, 0, prompt.length);
                var store = (dev.chelsea.engine.kv.HostKvStore) c.cache().store();
                int kvHeads = store.layout().kvHeads(), d = store.layout().headDim(), n = prompt.length, row = kvHeads * d;
                for (int l = 0; l < store.layout().layers(); l++) {
                    float[] k = new float[n * row], v = new float[n * row];
                    for (int h = 0; h < kvHeads; h++) {
                        for (int s = 0; s < n; s++) {
                            System.arraycopy(store.keys(l, h), s * d, k, s * row + h * d, d);
                            System.arraycopy(store.values(l, h), s * d, v, s * row + h * d, d);
                        }
                    }
                    for (boolean global : new boolean[]{false, true}) {
                        assertTrue(ClusterCheck.sameMergesAsTheCpu(kvHeads, d, k, v, 8, 4, 8, n / 4, global) > n / 2);
                    }
                }
            }
        }
    }

    /** Merging copies of one key and value, with the {@code log(size)} bias, leaves decode attention as it was. */
    @Test
    void mergedIdenticalEntriesAttendAsUncompressed() {
        int slots = GpuTests.size(3000, 400);
        double worst = ClusterCheck.identicalEntriesAttendAsUncompressed(8, 2, 64, slots, 16, 4, 16, slots / 5);
        System.out.printf("identical entries: largest difference after merging %.2e (tolerance 1e-5)%n", worst);
        assertTrue(worst <= 1e-5, "difference " + worst);
    }

    /**
     * {@code chelsea} on the device against the CPU engine: a prompt longer than the budget and
     * decode steps past it (recompressing about once per chunk), logits within the usual tolerance,
     * the same slot counts, sizes summing to the tokens seen; per-chunk and global ranking, on
     * stories260K and a synthetic model. The keys here are not the same numbers (the device's are f16
     * from TF32 products, the CPU's float32), so where two edges nearly tie the two may merge
     * differently: the test counts the slots whose positions differ and prints them, holds the
     * logits to the usual tolerance when none differ and to three times that otherwise, and leaves
     * "the same merges on the same keys" to {@link #deviceClusteringMakesTheCpusMerges}.
     */
    @ParameterizedTest(name = "{0} global={1}")
    @MethodSource("chelseaCases")
    void chelseaOnTheDeviceDecodesAsOnTheCpu(String model, boolean global) throws IOException {
        Path file = model.equals("stories260K") ? Shared.stories() : Shared.resolve("models/synthetic/" + model + ".gguf");
        // Where a near-tie merged differently the logits move more (stories260K, per chunk: 3 of 660
        // slots, 1.5e-2): three times the usual tolerance then, the usual one when every merge agreed.
        double tol = relativeTolerance(model), wider = 3 * tol;
        KvCacheConfig chelsea = KvCacheConfig.defaults().withChunkSize(8).withSinkTokens(4).withRecentWindow(8).withBudget(32)
                .withGlobalTopK(global);
        try (Model cpu = Model.load(file, new ModelOptions(2, 512, BackendChoice.CPU));
             Model gpu = Model.load(file, new ModelOptions(2, 512, BackendChoice.CUDA))) {
            int vocab = cpu.config().vocabSize();
            int[] prompt = tokens(file, GpuTests.size(300, 60), vocab);
            try (Session c = cpu.newSession(chelsea); Session g = gpu.newSession(chelsea)) {
                double worst = compare("chelsea prefill", c.prefill(prompt), g.prefill(prompt), vocab, wider);
                long differing = differingPositions(c, g), slots = 0;
                int next = prompt[prompt.length - 1];
                for (int i = 0; i < GpuTests.size(40, 12); i++) {
                    float[] lc = c.decode(next);
                    worst = Math.max(worst, compare("chelsea decode " + i, lc, g.decode(next), vocab, wider));
                    differing = Math.max(differing, differingPositions(c, g));
                    next = Ops.argmax(lc, 0, vocab);
                }
                CudaKvStore store = (CudaKvStore) g.cache().store();
                assertTrue(store.slots(0) < c.cache().position(), "the cache was compressed");
                for (int l = 0; l < store.layout().layers(); l++) {
                    for (int h = 0; h < store.layout().kvHeads(); h++) {
                        slots += store.slots(l);
                        double sum = 0;
                        for (float s : store.sizes(l, h)) {
                            sum += s;
                        }
                        assertEquals(g.cache().position(), sum, "sizes of layer " + l + ", head " + h + " sum to the tokens seen");
                    }
                }
                System.out.printf("chelsea %s global=%s: worst relative logit error %.2e (tolerance %.0e); at most %d of %d slots"
                        + " held another position than on the CPU%n", model, global, worst, differing == 0 ? tol : wider, differing, slots);
                assertTrue(differing > 0 || worst <= tol, "every merge agreed, yet the logits differ by " + worst);
            }
        }
    }

    /** Slots (over every layer and KV head) whose position differs between the two stores; their counts must agree. */
    static long differingPositions(Session cpu, Session gpu) {
        var a = cpu.cache().store();
        var b = gpu.cache().store();
        long n = 0;
        for (int l = 0; l < a.layout().layers(); l++) {
            assertEquals(a.slots(l), b.slots(l), "slots of layer " + l);
            for (int h = 0; h < a.layout().kvHeads(); h++) {
                int[] pa = a.positions(l, h), pb = b.positions(l, h);
                for (int i = 0; i < a.slots(l); i++) {
                    n += pa[i] != pb[i] ? 1 : 0;
                }
            }
        }
        return n;
    }

    /**
     * Models named here must be among those {@code bin/gpu-pack} carries to the GPU machine (it
     * cannot carry every synthetic model: the pack and the checkout travel in 64 MiB). This case
     * once named {@code llama-f32}, which is not packed: a dry run of {@code bin/gpu-check} on the
     * host emulator from a copy of the pack (2026-12-07) failed it for the missing file.
     */
    static List<org.junit.jupiter.params.provider.Arguments> chelseaCases() {
        return List.of(org.junit.jupiter.params.provider.Arguments.of("stories260K", false),
                org.junit.jupiter.params.provider.Arguments.of("stories260K", true),
                org.junit.jupiter.params.provider.Arguments.of("llama31-tied-f16", false));
    }

    @Test
    void decodeAttentionAtLongContextMatchesFloat64() {
        if (GpuTests.emulated()) {
            AttentionCheck.run(2000, 64, 8, 2, 1e-3);
            AttentionCheck.run(700, 32, 8, 8, 1e-3);
            return;
        }
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
