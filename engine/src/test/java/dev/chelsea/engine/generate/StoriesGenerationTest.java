package dev.chelsea.engine.generate;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvType;
import dev.chelsea.engine.model.ContextOverflowException;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real tiny model end to end: tokenization, greedy generation word for word, stops and limits. */
class StoriesGenerationTest {
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
    @SuppressWarnings("unchecked")
    void tokenizationMatchesLlamaCpp() throws IOException {
        for (String line : Files.readAllLines(Shared.resolve("data/reference/stories260K/tokenize.jsonl"))) {
            if (line.isBlank()) {
                continue;
            }
            Map<String, Object> o = Json.parseObject(line);
            int[] expected = ((List<Object>) o.get("ids_with_bos")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
            assertArrayEquals(expected, model.encodeText((String) o.get("text")), (String) o.get("text"));
        }
    }

    @Test
    void greedyGenerationReproducesLlamaCpp() throws IOException {
        String[] prompts = {"Once upon a time", "Lily and Ben went to the park", "The little dog was sad because"};
        for (int i = 0; i < prompts.length; i++) {
            String expected = Files.readString(Shared.resolve("data/reference/stories260K/greedy" + (i + 1) + ".txt"));
            int[] prompt = model.encodeText(prompts[i]);
            GenerationResult r = new Generator(model).generate(
                    new GenerationRequest(prompt, SamplingParams.GREEDY, 400, List.of(), KvCacheConfig.full()), null, null);
            // llama.cpp prints the prompt too, with the SentencePiece leading space.
            String ours = " " + prompts[i] + r.text();
            String want = expected.stripTrailing();
            assertTrue(ours.startsWith(want) || want.startsWith(ours.stripTrailing()),
                    "greedy " + (i + 1) + "\nexpected: " + want + "\nactual:   " + ours);
            assertTrue(ours.length() >= want.length() - 1, "generation stopped early: " + r.stopReason() + " " + ours);
        }
    }

    @Test
    void streamingPiecesAddUpToTheTextAndStatsAreFilled() {
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = new Generator(model).generate(new GenerationRequest(model.encodeText("Once upon a time"),
                SamplingParams.GREEDY, 20, List.of(), KvCacheConfig.full().withKvType(KvType.F32)), streamed::append, null);
        assertEquals(r.text(), streamed.toString());
        assertEquals(StopReason.MAX_TOKENS, r.stopReason());
        assertEquals(20, r.tokens().length);
        assertEquals(5, r.stats().promptTokens());
        assertEquals(20, r.stats().generatedTokens());
        assertTrue(r.stats().prefillTokensPerSecond() > 0 && r.stats().decodeTokensPerSecond() > 0);
        // The last sampled token is returned but never fed back: 5 prompt + 19 decoded tokens are cached.
        assertEquals(24, r.stats().kv().tokens());
        assertEquals(24L * model.kvLayout().bytesPerToken(), r.stats().kv().keyBytes() + r.stats().kv().valueBytes());
    }

    @Test
    void stopStringEndsGenerationAndIsNotReturned() {
        GenerationResult r = new Generator(model).generate(new GenerationRequest(model.encodeText("Once upon a time"),
                SamplingParams.GREEDY, 200, List.of("Lily"), KvCacheConfig.full()), null, null);
        assertEquals(StopReason.STOP_STRING, r.stopReason());
        assertEquals(", there was a little girl named ", r.text());
    }

    @Test
    void seededSamplingIsReproducible() {
        SamplingParams p = new SamplingParams(1.0f, 40, 0.95f, 0.05f, 1.1f, 64, 42);
        int[] prompt = model.encodeText("Once upon a time");
        GenerationResult a = new Generator(model).generate(new GenerationRequest(prompt, p, 40, List.of(), null), null, null);
        GenerationResult b = new Generator(model).generate(new GenerationRequest(prompt, p, 40, List.of(), null), null, null);
        assertArrayEquals(a.tokens(), b.tokens());
    }

    @Test
    void cancellationFromAnotherThreadStopsGeneration() throws Exception {
        CancellationToken cancel = new CancellationToken();
        AtomicInteger pieces = new AtomicInteger();
        GenerationResult r = new Generator(model).generate(new GenerationRequest(model.encodeText("Once upon a time"),
                SamplingParams.GREEDY, 400, List.of(), null), piece -> {
                    if (pieces.incrementAndGet() == 5) {
                        Thread t = new Thread(cancel::cancel);
                        t.start();
                        try {
                            t.join();
                        } catch (InterruptedException e) {
                            throw new RuntimeException(e);
                        }
                    }
                }, cancel);
        assertEquals(StopReason.CANCELLED, r.stopReason());
        assertTrue(r.tokens().length < 400);
    }

    @Test
    void promptLongerThanTheContextIsRefused() {
        try (Model small = Model.load(Shared.stories(), new ModelOptions(1, 16, BackendChoice.CPU))) {
            int[] prompt = new int[20];
            java.util.Arrays.fill(prompt, 300);
            prompt[0] = 1;
            ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> new Generator(small)
                    .generate(new GenerationRequest(prompt, SamplingParams.GREEDY, 5, List.of(), null), null, null));
            assertTrue(e.getMessage().contains("20 tokens") && e.getMessage().contains("16"), e.getMessage());
            // Generation stops at the context length instead of failing.
            GenerationResult r = new Generator(small).generate(new GenerationRequest(small.encodeText("Once upon a time"),
                    SamplingParams.GREEDY, 100, List.of(), null), null, null);
            assertEquals(StopReason.CONTEXT_FULL, r.stopReason());
            // 11 tokens fill positions 5..15; the 12th is sampled from the logits at position 15.
            assertEquals(16 - 5 + 1, r.tokens().length);
        }
    }

    @Test
    void concurrentRequestsOnOneModelGiveTheSameResults() throws Exception {
        int[] prompt = model.encodeText("Lily and Ben went to the park");
        GenerationRequest req = new GenerationRequest(prompt, SamplingParams.GREEDY, 30, List.of(), null);
        int[] expected = new Generator(model).generate(req, null, null).tokens();
        List<Thread> threads = new ArrayList<>();
        List<int[]> results = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> results.add(new Generator(model).generate(req, null, null).tokens()));
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(4, results.size());
        for (int[] r : results) {
            assertArrayEquals(expected, r);
        }
        assertFalse(results.isEmpty());
    }
}
