package dev.chelsea.engine.generate;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A request's deadline stops generation before the next token, and says so apart from a cancellation. */
class DeadlineTest {
    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CPU));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void theTokenTellsADeadlineFromACancellation() {
        CancellationToken none = new CancellationToken();
        assertFalse(none.isCancelled());
        assertNull(none.cause());
        assertEquals(Long.MAX_VALUE, none.nanosLeft());
        CancellationToken later = CancellationToken.withDeadline(System.nanoTime() + TimeUnit.HOURS.toNanos(1));
        assertFalse(later.isCancelled());
        assertTrue(later.nanosLeft() > 0);
        CancellationToken past = CancellationToken.withDeadline(System.nanoTime() - 1);
        assertTrue(past.isCancelled());
        assertEquals(StopReason.DEADLINE, past.cause());
        past.cancel();
        assertEquals(StopReason.CANCELLED, past.cause(), "an explicit cancel wins");
    }

    @Test
    void generationStopsAtTheDeadlineWithTheTextSoFar() {
        // the listener sleeps past the deadline after the fifth piece: the sixth token is never made.
        // Warmed up, and 5 s: the first five tokens must come before the deadline on a loaded machine
        // (cold, a first token took over 1 s with other builds running).
        new Generator(model).generate(new GenerationRequest(model.encodeText("Once upon a time"), SamplingParams.GREEDY, 20, List.of(), null),
                null, null);
        CancellationToken deadline = CancellationToken.withDeadline(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        AtomicInteger pieces = new AtomicInteger();
        StringBuilder seen = new StringBuilder();
        GenerationResult r = new Generator(model).generate(new GenerationRequest(model.encodeText("Once upon a time"),
                SamplingParams.GREEDY, 400, List.of(), null), piece -> {
                    seen.append(piece);
                    if (pieces.incrementAndGet() == 5) {
                        try {
                            Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline.nanosLeft()) + 1));
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                        assertTrue(deadline.deadlinePassed());
                    }
                }, deadline);
        assertEquals(StopReason.DEADLINE, r.stopReason());
        assertEquals(5, r.tokens().length);
        assertEquals(seen.toString(), r.text(), "the answer is what was sent");
    }
}
