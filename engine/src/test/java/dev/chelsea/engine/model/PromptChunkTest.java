package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.testing.Shared;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A long prompt read in compressed pieces (KvCacheConfig.promptChunk) on the CPU backend, on stories260K. */
class PromptChunkTest {
    static final int PROMPT = 400, PIECE = 64;
    static final KvCacheConfig CHELSEA = KvCacheConfig.defaults().withKeptRatio(0.2).withChunkSize(16).withRecentWindow(16);
    static Model model;
    static int[] prompt;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.stories(), new ModelOptions(2, 512, dev.chelsea.engine.backend.BackendChoice.CPU));
        SplittableRandom r = new SplittableRandom(11);
        prompt = new int[PROMPT];
        for (int i = 0; i < PROMPT; i++) {
            prompt[i] = 1 + r.nextInt(model.config().vocabSize() - 1);
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private record Read(float[] logits, KvStats stats, long sizeSum, int slots) {
    }

    private static Read read(KvCacheConfig kv) {
        try (Session s = model.newSession(kv)) {
            float[] logits = s.prefill(prompt);
            CpuKvStore store = (CpuKvStore) s.cache().store();
            long sum = 0;
            int slots = s.cache().slots(0);
            if (store.supports(dev.chelsea.engine.kv.KvStore.Feature.MERGE)) {
                float[] sizes = store.sizes(0, 0);
                for (int i = 0; i < slots; i++) {
                    sum += Math.round(sizes[i]);
                }
            }
            return new Read(logits, s.cache().stats(), sum, slots);
        }
    }

    @Test
    void thePeakStaysNearTheBudgetPlusOnePiece() {
        Read whole = read(CHELSEA), chunked = read(CHELSEA.withPromptChunk(PIECE));
        int budget = (int) Math.ceil(0.2 * PROMPT);
        // chunked soft matching takes the same number of merges from every chunk, so it lands at or just under the budget
        assertTrue(whole.slots() <= budget && whole.slots() >= budget - 4, "compressed to the budget once read: " + whole.slots());
        assertTrue(chunked.slots() <= budget && chunked.slots() >= budget - 4, "the same budget at the end: " + chunked.slots());
        long perSlot = whole.stats().peakBytes() / PROMPT;
        assertTrue(chunked.stats().peakBytes() <= (budget + PIECE) * perSlot,
                "peak " + chunked.stats().peakBytes() + " B, at most (budget + piece) slots of " + perSlot + " B");
        assertTrue(chunked.stats().compressions() >= (PROMPT - 1) / PIECE, "a compression after every piece: " + chunked.stats().compressions());
        assertEquals(PROMPT, chunked.sizeSum(), "cluster sizes add up to the tokens read");
        assertEquals(PROMPT, whole.sizeSum());
    }

    @Test
    void aPieceAsLongAsThePromptIsReadingItWhole() {
        // the same calls; only the JIT's tier (scalar fallback or vector intrinsics) may differ between the runs
        assertArrayEquals(read(CHELSEA).logits(), read(CHELSEA.withPromptChunk(PROMPT)).logits(), 1e-4f);
    }

    @Test
    void theFullCacheIgnoresPieces() {
        Read whole = read(KvCacheConfig.full()), chunked = read(KvCacheConfig.full().withPromptChunk(PIECE));
        assertArrayEquals(whole.logits(), chunked.logits(), 1e-4f, "pieces change only the batches: float rounding");
        assertEquals(whole.stats().peakBytes(), chunked.stats().peakBytes());
    }

    @Test
    void aPieceShorterThanAChunkIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CHELSEA.withPromptChunk(8));
        assertTrue(e.getMessage().contains("at least the chunk size (16)"), e.getMessage());
    }
}
