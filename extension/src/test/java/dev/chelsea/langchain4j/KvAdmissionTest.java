package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvType;
import dev.chelsea.engine.kv.KvPolicies;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.Session;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requests reserve what their KV cache may hold; what the budget cannot hold is refused, never an OutOfMemoryError. */
class KvAdmissionTest {
    private final ChelseaModelRegistry registry = new ChelseaModelRegistry(key -> Model.load(key.file(), key.options()));
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    private ChelseaStreamingChatModel.Builder streaming() {
        return ChelseaStreamingChatModel.builder().registry(registry).modelPath(Stories.path()).threads(2).contextLength(512)
                .temperature(0.0).kvCache(KvCacheConfig.full());
    }

    @Test
    void theDemandFollowsTheRequestAndThePolicy() {
        ChelseaStreamingChatModel m = keep(streaming().build());
        Model model = m.loadedModel().model();
        // Float32: in f16 the per-slot bookkeeping (positions, Chelsea's sizes) weighs twice as much
        // against keys and values, and on a 512-token context Chelsea's reservation meets the full one.
        KvCacheConfig full = KvCacheConfig.full().withKvType(KvType.F32);
        // 0.2: at 0.5 a 512-token context leaves Chelsea (budget, slack and spare slots, grown by half again) the whole context too
        KvCacheConfig chelsea = KvCacheConfig.defaults().withKeptRatio(0.2).withKvType(KvType.F32);
        // (short requests: a CPU store grows by half again, but never beyond the context, so 400 and 500 tokens both reserve all 512)
        assertTrue(KvDemand.ofRequest(model, full, 200, 50) > KvDemand.ofRequest(model, full, 100, 50), "more tokens, more memory");
        assertEquals(KvDemand.ofRequest(model, full, 400, 100), KvDemand.ofRequest(model, full, 300, 100), "the store never grows beyond the context");
        assertEquals(KvDemand.ofRequest(model, full, 400, 112), KvDemand.ofRequest(model, full, 400, 5000), "the context caps a request");
        assertEquals(KvDemand.steady(model, full), KvDemand.longest(model, full), "the full cache keeps every token either way");
        assertTrue(KvDemand.ofRequest(model, chelsea, 10, 500) < KvDemand.ofRequest(model, full, 10, 500),
                "a compressing policy bounds a long answer to a short prompt: " + KvDemand.ofRequest(model, chelsea, 10, 500)
                        + " against " + KvDemand.ofRequest(model, full, 10, 500));
        assertTrue(KvDemand.steady(model, chelsea) < KvDemand.steady(model, full));
        assertTrue(KvDemand.longest(model, chelsea) >= KvDemand.longest(model, full),
                "a prompt that fills the context is read over its full KV, and merging keeps sizes too");
        long scratch = KvDemand.steady(model, full) - model.backend().kvBytesFor(KvPolicies.create(full, 1).storeSpec(), full.kvType(),
                model.contextLength(), model.contextLength());
        long halves = KvDemand.steady(model, full.withKvType(KvType.F16)) - scratch;
        long floats = KvDemand.steady(model, full.withKvType(KvType.F32)) - scratch;
        // stories260K: 64 bytes of keys and values a slot and KV head in f32, 32 in f16, and a 4-byte position either way
        assertTrue(halves > 0.45 * floats && halves < 0.6 * floats, "half floats reserve about half: " + halves + " against " + floats);
    }

    @Test
    void theReservationCoversWhatTheCacheHolds() {
        ChelseaStreamingChatModel m = keep(streaming().build());
        Model model = m.loadedModel().model();
        int[] prompt = new int[400];
        Arrays.fill(prompt, 1, prompt.length, 300);
        prompt[0] = model.tokenizer().bosId();
        for (KvCacheConfig kv : List.of(KvCacheConfig.full(), KvCacheConfig.defaults(), KvCacheConfig.defaults().withPolicy("h2o"))) {
            GenerationRequest r = new GenerationRequest(prompt, SamplingParams.GREEDY, 100, List.of(), kv);
            try (Session s = model.newSession(kv)) {
                GenerationResult result = new Generator(model).generate(s, r, null, null);
                long peak = result.stats().kv().peakBytes();
                assertTrue(peak > 0 && peak <= KvDemand.ofRequest(model, kv, prompt.length, 100),
                        kv.policy() + ": peak " + peak + " within the reservation " + KvDemand.ofRequest(model, kv, prompt.length, 100));
            }
        }
    }

    @Test
    void aLimitInBytesBoundsTheReservationAndTheCache() {
        ChelseaStreamingChatModel m = keep(streaming().build());
        Model model = m.loadedModel().model();
        long limit = 256 << 10;
        KvCacheConfig limited = KvCacheConfig.defaults().withMaxBytes(limit);
        long scratch = model.backend().scratchBytes(Math.min(model.contextLength(), model.backend().maxBatch()));
        assertTrue(KvDemand.longest(model, limited) < KvDemand.longest(model, KvCacheConfig.defaults()),
                "a prompt that fills the context is read in pieces under the limit");
        assertTrue(KvDemand.longest(model, limited) - scratch <= limit + limit / 2, "the reservation: " + KvDemand.longest(model, limited));
        int[] prompt = new int[400];
        Arrays.fill(prompt, 1, prompt.length, 300);
        prompt[0] = model.tokenizer().bosId();
        GenerationRequest r = new GenerationRequest(prompt, SamplingParams.GREEDY, 100, List.of(), limited);
        try (Session s = model.newSession(limited)) {
            GenerationResult result = new Generator(model).generate(s, r, null, null);
            long peak = result.stats().kv().peakBytes();
            assertTrue(peak <= limit, "peak " + peak + " under the limit " + limit);
            assertTrue(peak <= KvDemand.ofRequest(model, limited, prompt.length, 100), "peak " + peak + " within the reservation");
        }
    }

    @Test
    void theFullCacheUnderALimitInBytesServesTheTokensThatFit() {
        // stories260K's full cache takes 1360 bytes a token in f32: 64 tokens fit
        KvCacheConfig full = KvCacheConfig.full().withKvType(dev.chelsea.engine.kv.KvType.F32).withMaxBytes(64 * 1360 + 1000);
        ChelseaChatModel m = keep(ChelseaChatModel.builder().registry(registry).modelPath(Stories.path()).threads(2).contextLength(512)
                .temperature(0.0).kvCache(full).build());
        assertEquals(64, KvDemand.context(m.loadedModel().model(), full));
        var tooLong = assertThrows(ChelseaPromptTooLongException.class, () -> m.chat("Once upon a time ".repeat(20)));
        assertEquals(64, tooLong.contextLength(), tooLong.getMessage());
        ChatResponse r = m.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from("Once upon a time")).maxOutputTokens(400).build());
        assertEquals(64, r.tokenUsage().inputTokenCount() + r.tokenUsage().outputTokenCount(), "the answer stops where the cache is full");
        assertEquals(dev.langchain4j.model.output.FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void aQueueThatCouldOutgrowTheBudgetIsRefusedAtBuildWithTheNumbers() {
        ChelseaStreamingChatModel probe = keep(streaming().build());
        long steady = KvDemand.steady(probe.loadedModel().model(), KvCacheConfig.full());
        registry.kvMemoryOptions(new KvMemoryOptions(0.5, 0.9, 2 * steady));
        var e = assertThrows(ChelseaModelBuilder.KvBudgetException.class,
                () -> streaming().queueName("three").queue(new QueueOptions(3, 0)).build());
        assertEquals("queue.maxConcurrent", e.setting());
        assertTrue(e.getMessage().contains("3 x ") && e.getMessage().contains("context 512, KV policy full")
                && e.getMessage().contains("KV budget of the heap (configured)"), e.getMessage());
        keep(streaming().queueName("two").queue(new QueueOptions(2, 0)).build());

        registry.kvMemoryOptions(new KvMemoryOptions(0.5, 0.9, steady - 1));
        var tooSmall = assertThrows(ChelseaModelBuilder.KvBudgetException.class, () -> streaming().queueName("one")
                .queue(new QueueOptions(1, 0)).build());
        assertEquals("contextLength", tooSmall.setting(), tooSmall.getMessage());
    }

    @Test
    void aRequestTheBudgetCannotHoldNowIsRefusedAndTheBudgetComesBack() throws Exception {
        ChelseaStreamingChatModel probe = keep(streaming().build());
        Model model = probe.loadedModel().model();
        long steady = KvDemand.steady(model, KvCacheConfig.full());
        // one request of the whole context fits, two long answers at once do not
        registry.kvMemoryOptions(new KvMemoryOptions(0.5, 0.9, steady + steady / 5));
        ChelseaStreamingChatModel m = keep(streaming().queueName("q").queue(new QueueOptions(1, 4)).maxTokens(400).build());
        KvMemory memory = m.loadedModel().memory();

        Gate running = new Gate();
        m.chat("Once upon a time", running);
        running.awaitStarted();
        long reserved = memory.reserved();
        assertTrue(reserved > steady / 2 && reserved <= steady, "the running request reserved " + reserved);
        long used = memory.inUse();
        assertTrue(used > 0 && used <= reserved, "its cache holds " + used + " of them now");

        Gate refused = new Gate();
        m.chat("Once upon a time", refused);
        Throwable e = refused.error();
        assertInstanceOf(ChelseaMemoryFullException.class, e);
        assertInstanceOf(ChelseaQueueFullException.class, e, "a busy model: retry later");
        assertTrue(e.getMessage().contains("requests running and waiting hold") && e.getMessage().contains("KV budget of the heap"),
                e.getMessage());
        assertEquals(1, m.queue().running() + m.queue().waiting(), "the refused request was not queued");

        running.release();
        ChatResponse r = running.response();
        assertTrue(r.tokenUsage().outputTokenCount() > 0);
        assertEquals(0, memory.reserved(), "the reservation is given back");
        assertEquals(0, memory.inUse());

        Gate later = new Gate();
        later.release();
        m.chat("Once upon a time", later);
        assertTrue(later.response().tokenUsage().outputTokenCount() > 0, "the next request fits again");
    }

    @Test
    void reservationsAreGivenBackOnceAndTheMessagesCarryTheNumbers() {
        KvMemory memory = new KvMemory("heap", 1000, "configured");
        KvMemory.Reservation a = memory.reserve(600, "m");
        var e = assertThrows(ChelseaMemoryFullException.class, () -> memory.reserve(500, "m"));
        assertTrue(e.getMessage().contains("hold 600 B of the 1000 B KV budget of the heap (configured)"), e.getMessage());
        var never = assertThrows(ChelseaMemoryFullException.class, () -> memory.reserve(1001, "m"));
        assertTrue(never.getMessage().contains("more than the whole KV budget"), never.getMessage());
        a.close();
        a.close();
        assertEquals(0, memory.reserved());
        memory.reserve(1000, "m").close();
        assertEquals(0, memory.reserved());
        assertTrue(memory.overcommit(List.of(new KvMemory.Claim("a", 2, 400, 400, 512, "full"))) == null);
        String over = memory.overcommit(List.of(new KvMemory.Claim("a", 2, 400, 400, 512, "full"),
                new KvMemory.Claim("b", 1, 300, 900, 2048, "chelsea")));
        assertTrue(over.contains("model 'a': 2 x 400 B (context 512, KV policy full), model 'b': 1 x 300 B"), over);
    }
}
