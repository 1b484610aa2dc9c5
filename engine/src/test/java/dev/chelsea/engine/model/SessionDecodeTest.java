package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.testing.Shared;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Decode steps that reuse one logits array (the caller's, or the sequence's for greedy steps), on stories260K. */
class SessionDecodeTest {
    static final int[] PROMPT = {1, 403, 407, 261, 378, 429};
    static final int STEPS = 24;
    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.stories(), new ModelOptions(2, 128, BackendChoice.CPU));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void decodingIntoOneArrayGivesTheLogitsOfFreshArrays() {
        try (Session fresh = model.newSession(KvCacheConfig.full()); Session reused = model.newSession(KvCacheConfig.full())) {
            float[] logits = fresh.prefill(PROMPT);
            reused.prefill(PROMPT);
            float[] buffer = new float[reused.vocabularySize()];
            for (int i = 0; i < STEPS; i++) {
                int token = Ops.argmax(logits, 0, logits.length);
                logits = fresh.decode(token);
                assertSame(buffer, reused.decode(token, buffer));
                // Not bit for bit: the JIT may move a kernel from the Vector API's Java fallback to its
                // intrinsic between the two sessions' steps, and the two sum in different orders.
                assertArrayEquals(logits, buffer, 1e-4f, "step " + i);
            }
        }
    }

    @Test
    void greedyStepsPickTheArgmaxOfTheLogitsEveryStep() {
        // the greedy path keeps one array per sequence: every step must still see its own logits
        try (Session sampled = model.newSession(KvCacheConfig.full()); Session greedy = model.newSession(KvCacheConfig.full())) {
            float[] logits = sampled.prefill(PROMPT);
            greedy.prefill(PROMPT);
            int token = Ops.argmax(logits, 0, logits.length);
            int next = token;
            for (int i = 0; i < STEPS; i++) {
                logits = sampled.decode(token);
                token = Ops.argmax(logits, 0, logits.length);
                next = greedy.decodeGreedy(next);
                assertEquals(token, next, "step " + i);
            }
        }
    }

    @Test
    void anArrayOfTheWrongLengthIsRefusedBeforeTheStep() {
        try (Session s = model.newSession(KvCacheConfig.full())) {
            s.prefill(PROMPT);
            int position = s.position();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.decode(5, new float[s.vocabularySize() - 1]));
            assertEquals("logits of length " + (s.vocabularySize() - 1) + " for a vocabulary of " + s.vocabularySize(), e.getMessage());
            assertEquals(position, s.position());
        }
    }
}
