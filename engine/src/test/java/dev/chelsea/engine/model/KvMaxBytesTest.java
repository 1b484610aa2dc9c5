package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvPolicies;
import dev.chelsea.engine.kv.KvPolicy;
import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.kv.KvType;
import dev.chelsea.engine.testing.Shared;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A limit in bytes on one sequence's KV cache (KvCacheConfig.maxBytes) on the CPU backend, on stories260K. */
class KvMaxBytesTest {
    static final int CONTEXT = 512, PROMPT = 480, DECODE = 30, SLOTS = 120;
    static final KvCacheConfig CHELSEA = KvCacheConfig.defaults().withChunkSize(16).withRecentWindow(16);
    static Model model;
    static int[] prompt;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.stories(), new ModelOptions(2, CONTEXT, BackendChoice.CPU));
        SplittableRandom r = new SplittableRandom(7);
        prompt = new int[PROMPT];
        for (int i = 0; i < PROMPT; i++) {
            prompt[i] = 1 + r.nextInt(model.config().vocabSize() - 1);
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** What the CPU store charges one slot of every layer and KV head under {@code kv}. */
    private static long perSlot(KvCacheConfig kv) {
        KvPolicy p = KvPolicies.create(kv, model.config().layers());
        return model.backend().kvBytesPerSlot(p.storeSpec(), kv.kvType());
    }

    private static int sizeSum(CpuKvStore store, int slots) {
        float[] sizes = store.sizes(0, 0);
        int sum = 0;
        for (int i = 0; i < slots; i++) {
            sum += Math.round(sizes[i]);
        }
        return sum;
    }

    @ParameterizedTest
    @CsvSource({"chelsea, f32", "chelsea, f16", "streaming, f32", "streaming, f16"})
    void aLongPromptAndItsAnswerStayUnderTheLimit(String policy, String type) {
        KvCacheConfig kv = CHELSEA.withPolicy(policy).withKvType(KvType.parse(type));
        long perSlot = perSlot(kv);
        long limit = SLOTS * perSlot + perSlot / 2; // not a whole number of slots: what fits is rounded down
        try (Session s = model.newSession(kv.withMaxBytes(limit))) {
            s.prefill(prompt);
            int token = 1;
            for (int i = 0; i < DECODE; i++) {
                token = s.decodeGreedy(token);
            }
            KvStats st = s.cache().stats();
            assertTrue(st.peakBytes() <= limit, policy + "/" + type + ": peak " + st.peakBytes() + " B over the limit of " + limit);
            // the prompt (all of it, half the ratio of 0.5 over the limit) was read in several compressed pieces
            assertTrue(st.compressions() > 3, "compressions: " + st.compressions());
            assertEquals(PROMPT + DECODE, s.position());
            CpuKvStore store = (CpuKvStore) s.cache().store();
            for (int l = 0; l < model.config().layers(); l++) {
                assertTrue(store.capacity(l) <= SLOTS, "layer " + l + " allocated " + store.capacity(l) + " slots, " + SLOTS + " fit");
            }
            if (policy.equals("chelsea")) {
                assertEquals(PROMPT + DECODE, sizeSum(store, s.cache().slots(0)), "cluster sizes add up to the tokens read");
            }
        }
    }

    @Test
    void thePeakWithoutTheLimitIsOverIt() {
        // what the test above guards against: the same prompt read whole peaks at the whole prompt
        try (Session s = model.newSession(CHELSEA)) {
            s.prefill(prompt);
            assertTrue(s.cache().stats().peakBytes() > SLOTS * perSlot(CHELSEA) * 3);
        }
    }

    @Test
    void aPromptThatFitsIsReadWhole() {
        KvCacheConfig kv = CHELSEA.withKeptRatio(0.2);
        long limit = (PROMPT + DECODE) * perSlot(kv);
        float[] free, limited;
        KvStats freeStats, limitedStats;
        try (Session s = model.newSession(kv)) {
            free = s.prefill(prompt);
            freeStats = s.cache().stats();
        }
        try (Session s = model.newSession(kv.withMaxBytes(limit))) {
            limited = s.prefill(prompt);
            limitedStats = s.cache().stats();
        }
        assertEquals(1, limitedStats.compressions(), "compressed once, at the end of the prompt");
        assertEquals(freeStats.slots(), limitedStats.slots(), "the ratio's budget is the smaller one");
        assertArrayEquals(free, limited, 1e-4f, "the same calls: only the JIT's tier may differ");
    }

    @Test
    void theSmallerBudgetWins() {
        long perSlot = perSlot(CHELSEA);
        int layers = model.config().layers();
        // the limit's budget: 120 slots fit, less the slack (a chunk) and one
        KvPolicy byBytes = KvPolicies.create(CHELSEA.withMaxBytes(SLOTS * perSlot), layers, spec -> perSlot);
        assertEquals(SLOTS, byBytes.maxSlots());
        assertEquals(SLOTS - 16 - 1, byBytes.budget(0, PROMPT));
        // a ratio whose budget is below it
        KvPolicy byRatio = KvPolicies.create(CHELSEA.withKeptRatio(0.1).withMaxBytes(SLOTS * perSlot), layers, spec -> perSlot);
        assertEquals(48, byRatio.budget(0, PROMPT));
        // a slot budget above it, and pyramid shares above it
        assertEquals(SLOTS - 17, KvPolicies.create(CHELSEA.withBudget(200).withMaxBytes(SLOTS * perSlot), layers, spec -> perSlot).budget(0, PROMPT));
        KvPolicy pyramid = KvPolicies.create(CHELSEA.withLayerBudgets("pyramid").withMaxBytes(SLOTS * perSlot), layers, spec -> perSlot);
        for (int l = 0; l < layers; l++) {
            assertTrue(pyramid.budget(l, PROMPT) <= SLOTS - 17, "layer " + l + ": " + pyramid.budget(l, PROMPT));
        }
        // without the store's bytes per slot the limit cannot be turned into slots: no limit
        assertEquals(Integer.MAX_VALUE, KvPolicies.create(CHELSEA.withMaxBytes(SLOTS * perSlot), layers).maxSlots());
    }

    @Test
    void theFullCacheRefusesWhatDoesNotFit() {
        KvCacheConfig kv = KvCacheConfig.full().withMaxBytes(300 * perSlot(KvCacheConfig.full()));
        try (Session s = model.newSession(kv)) {
            assertEquals(300, s.contextLength());
            ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> s.prefill(prompt));
            assertTrue(e.getMessage().contains("more than the tokens that fit in the KV cache's max-bytes of 300"), e.getMessage());
            assertEquals(0, s.position(), "nothing was read");
        }
        try (Session s = model.newSession(kv)) {
            s.prefill(java.util.Arrays.copyOf(prompt, 290));
            int token = 1;
            for (int i = 0; i < 10; i++) {
                token = s.decodeGreedy(token);
            }
            assertEquals(300, s.position());
            int last = token;
            ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> s.decodeGreedy(last));
            assertTrue(e.getMessage().contains("cannot add 1 tokens at position 300"), e.getMessage());
            assertTrue(s.cache().stats().peakBytes() <= kv.maxBytes());
            assertTrue(((CpuKvStore) s.cache().store()).capacity(0) <= 300);
        }
    }

    @Test
    void aLimitBelowTheLeastAPolicyNeedsFailsWithThatLeast() {
        long perSlot = perSlot(CHELSEA);
        // sinks 4 + window 16 + slack 16 + 1
        long least = 37 * perSlot;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.newSession(CHELSEA.withMaxBytes(least - 1)));
        assertTrue(e.getMessage().contains("needs at least " + least + " bytes"), e.getMessage());
        model.newSession(CHELSEA.withMaxBytes(least)).close();
        IllegalArgumentException check = assertThrows(IllegalArgumentException.class, () -> model.checkKvCache(CHELSEA.withMaxBytes(least - 1)));
        assertEquals(e.getMessage(), check.getMessage(), "the check a server runs when it loads the model");
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                () -> model.newSession(KvCacheConfig.full().withMaxBytes(perSlot(KvCacheConfig.full()) - 1)));
        assertTrue(full.getMessage().contains("needs at least " + perSlot(KvCacheConfig.full()) + " bytes"), full.getMessage());
    }

    @Test
    void theCapacityIsWhatTheSequenceCanHold() {
        int layers = model.config().layers();
        long perSlot = perSlot(CHELSEA);
        KvPolicy none = KvPolicies.create(CHELSEA, layers);
        assertEquals(CONTEXT, KvCache.capacity(none, CHELSEA, layers, CONTEXT), "a prompt is read whole: the context");
        KvCacheConfig pieces = CHELSEA.withKeptRatio(0.2).withPromptChunk(64);
        // budget at the context (ceil 0.2 * 512 = 103) + slack 16 + a piece 64 + spare slots (slack + chunk = 32)
        assertEquals(103 + 16 + 64 + 32, KvCache.capacity(KvPolicies.create(pieces, layers), pieces, layers, CONTEXT));
        KvCacheConfig limited = CHELSEA.withMaxBytes(SLOTS * perSlot);
        assertEquals(SLOTS, KvCache.capacity(KvPolicies.create(limited, layers, spec -> perSlot), limited, layers, CONTEXT));
        KvCacheConfig full = KvCacheConfig.full().withMaxBytes(1000 * perSlot);
        assertEquals(CONTEXT, KvCache.capacity(KvPolicies.create(full, layers, spec -> perSlot), full, layers, CONTEXT));
    }

    @Test
    void aLaterPromptUnderTheLimitIsReadInPiecesToo() {
        KvCacheConfig kv = CHELSEA.withPolicy("streaming");
        long limit = SLOTS * perSlot(kv);
        try (Session s = model.newSession(kv.withMaxBytes(limit))) {
            s.prefill(java.util.Arrays.copyOf(prompt, 50));
            s.decodeGreedy(1);
            s.prefill(prompt, 50, 300); // a second turn of 300 tokens, longer than what fits
            assertEquals(351, s.position());
            assertTrue(s.cache().stats().peakBytes() <= limit);
        }
    }

    @Test
    void sizesAreReadAsOperatorsWriteThem() {
        assertEquals(512L << 20, Bytes.parse("512M"));
        assertEquals(2L << 30, Bytes.parse("2G"));
        assertEquals(3L << 29, Bytes.parse("1.5GiB"));
        assertEquals(64L << 10, Bytes.parse(" 64kb "));
        assertEquals(4096, Bytes.parse("4096"));
        for (String bad : new String[] {"", "12X", "1.5", "-1M", "M", "2 GB extra", "3iB"}) {
            assertThrows(IllegalArgumentException.class, () -> Bytes.parse(bad), bad);
        }
    }

    @Test
    void theLimitIsPartOfTheConfiguration() {
        assertEquals(1234, CHELSEA.withMaxBytes(1234).withKeptRatio(0.3).withPolicy("streaming").maxBytes());
        assertEquals(0, CHELSEA.maxBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CHELSEA.withMaxBytes(-1));
        assertTrue(e.getMessage().contains("KV max bytes must be 0 (no limit) or positive, got -1"), e.getMessage());
    }
}
