package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing a model while its sessions step, on stories260K: the kernels read the mapped file by
 * address, so closing must wait for the steps in flight and refuse later ones with a clear error
 * (before, an unmapped file under a running kernel would crash the JVM).
 */
class ModelCloseTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378, 429};

    @Test
    void aClosedModelRefusesStepsAndSessionsAndLetsOldOnesClose() {
        Model model = Model.load(Shared.stories(), new ModelOptions(2, 128, BackendChoice.CPU));
        Session session = model.newSession(KvCacheConfig.full());
        session.prefill(PROMPT);
        model.close();
        model.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> session.decode(5));
        assertEquals("the model is closed", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> session.prefill(PROMPT));
        assertEquals("the model is closed", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> model.newSession(KvCacheConfig.full()));
        assertEquals("the model is closed", e.getMessage());
        session.close();
    }

    @Test
    void closeWaitsForTheStepsInFlight() throws Exception {
        Model model = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CPU));
        CountDownLatch stepping = new CountDownLatch(20);
        AtomicLong lastStepEnded = new AtomicLong();
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread decoder = new Thread(() -> {
            try {
                while (true) {
                    try (Session s = model.newSession(KvCacheConfig.full())) {
                        s.prefill(PROMPT);
                        int token = 5;
                        for (int i = 0; i < 400; i++) {
                            token = s.decodeGreedy(token);
                            lastStepEnded.set(System.nanoTime());
                            stepping.countDown();
                        }
                    }
                }
            } catch (Throwable t) {
                ended.set(t);
            }
        });
        decoder.start();
        assertTrue(stepping.await(60, TimeUnit.SECONDS), "the decoder steps");
        model.close();
        long closed = System.nanoTime();
        decoder.join(TimeUnit.SECONDS.toMillis(60));
        assertInstanceOf(IllegalStateException.class, ended.get(), () -> "the decoder ended with " + ended.get());
        assertEquals("the model is closed", ended.get().getMessage());
        assertTrue(lastStepEnded.get() <= closed, "no step ended after close returned");
    }
}
