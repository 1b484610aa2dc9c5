package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

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
        assertTrue(r.decodeSteps() >= 3 * 8 && r.decodeSteps() % 8 == 0, r.toString());
        assertTrue(r.spent().compareTo(Duration.ofSeconds(60)) < 0, r.toString());
    }

    @Test
    void promptsCoverEveryTileWidthTheContextAllows() {
        // 128 = 48 + 48 + 32 lanes, 112 ends in a tile of 16, 6 runs the kernels of a few vectors
        assertArrayEquals(new int[]{128, 112, 6}, WarmUp.promptLengths(4096, 16));
        assertArrayEquals(new int[]{128, 112, 6}, WarmUp.promptLengths(128, 16));
        // bench --prompt-tokens 16 --gen-tokens 16 loads a context of 17: its 16 tokens must be warm
        assertArrayEquals(new int[]{17, 16, 6}, WarmUp.promptLengths(17, 16));
        assertArrayEquals(new int[]{65, 32, 16, 6}, WarmUp.promptLengths(65, 16));
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
