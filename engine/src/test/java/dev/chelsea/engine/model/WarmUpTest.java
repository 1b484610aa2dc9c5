package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link WarmUp} on stories260K: it runs both phases, keeps to its limit and changes nothing for later sessions. */
class WarmUpTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CPU));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void runsPrefillsThenDecodeStepsUntilTheySettle() {
        WarmUp.Report r = WarmUp.run(model, Duration.ofSeconds(60));
        // at least three measurements per phase (the best, then three without a gain, unless the limit came first)
        assertTrue(r.prefills() >= 3, r.toString());
        assertTrue(r.decodeSteps() >= 3 * 8 + 2 * 8 && r.decodeSteps() % 8 == 0, r.toString());
        assertTrue(r.spent().compareTo(Duration.ofSeconds(60)) < 0, r.toString());
        // HotSpot counts the bytes threads allocate: the warm-up measured its decode steps
        assertTrue(r.decodeBytesPerStep() >= 0, r.toString());
    }

    /**
     * Without C2 (a JVM stopped at C1) every vector operation runs the Vector API's Java fallback,
     * as C2 sometimes leaves part of a large kernel: the warm-up sees its decode steps allocate
     * and says so.
     */
    @Test
    void seesKernelsLeftInTheVectorApisFallback() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-javaagent") && !a.startsWith("-agentlib")).toList());
        if (System.getProperty("chelsea.shared") != null) {
            command.add("-Dchelsea.shared=" + System.getProperty("chelsea.shared"));
        }
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), WarmUpTest.class.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor(), output);
        assertTrue(output.contains("Java fallback"), "the warning is logged: " + output);
    }

    /** Entry point of {@link #seesKernelsLeftInTheVectorApisFallback}'s JVM: exit status 0 if the warm-up saw the fallback. */
    public static void main(String[] args) {
        try (Model m = Model.load(Shared.stories(), new ModelOptions(2, 64, BackendChoice.CPU))) {
            WarmUp.Report r = WarmUp.run(m, Duration.ofSeconds(60)); // settles in about 2 s; the limit only bounds a slow machine
            System.out.println(r);
            System.exit(r.kernelsInFallback() ? 0 : 1);
        }
    }

    @Test
    void promptsCoverEveryTileWidthTheContextAllows() {
        // 128 = 48 + 48 + 32 lanes, 112 ends in a tile of 16, 16 is one tile, 9 runs the kernels of a few vectors
        assertArrayEquals(new int[]{128, 112, 16, 9}, WarmUp.promptLengths(4096, 16));
        assertArrayEquals(new int[]{128, 112, 16, 9}, WarmUp.promptLengths(128, 16));
        // bench --prompt-tokens 16 --gen-tokens 16 loads a context of 17: its 16 tokens must be warm
        assertArrayEquals(new int[]{17, 16, 9}, WarmUp.promptLengths(17, 16));
        assertArrayEquals(new int[]{65, 32, 16, 9}, WarmUp.promptLengths(65, 16));
        assertArrayEquals(new int[]{4}, WarmUp.promptLengths(4, 16));
        assertArrayEquals(new int[]{1}, WarmUp.promptLengths(1, 16));
    }

    @Test
    void aZeroLimitDoesNothing() {
        WarmUp.Report r = WarmUp.run(model, Duration.ZERO);
        assertEquals(0, r.prefills());
        assertEquals(0, r.decodeSteps());
    }

    @Test
    void laterSessionsGiveTheSameLogits() {
        int[] prompt = {1, 40, 41, 100, 200};
        float[] before;
        try (Session s = model.newSession(KvCacheConfig.full())) {
            before = s.prefill(prompt);
        }
        WarmUp.run(model, Duration.ofSeconds(5));
        try (Session s = model.newSession(KvCacheConfig.full())) {
            float[] after = s.prefill(prompt);
            // the same sums, perhaps compiled differently (the Vector API may order a lane reduction either way)
            for (int i = 0; i < before.length; i++) {
                assertEquals(before[i], after[i], 1e-4f * Math.max(1f, Math.abs(before[i])), "logit " + i);
            }
        }
    }
}
