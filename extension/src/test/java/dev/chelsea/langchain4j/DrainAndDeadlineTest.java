package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.StopReason;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Graceful shutdown (a drain: no new requests, running ones finish within the grace period, then
 * stop with a clear error) and time limits (the text so far, or a timeout error when there is none).
 */
class DrainAndDeadlineTest {
    private final ChelseaModelRegistry registry = new ChelseaModelRegistry(key -> Model.load(key.file(), key.options()));
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<GenerationEvent> events = new CopyOnWriteArrayList<>();

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
                .temperature(0.0).maxTokens(200).kvCache(KvCacheConfig.full()).observer(events::add).queue(new QueueOptions(1, 4));
    }

    private ChelseaChatModel.Builder chat() {
        return ChelseaChatModel.builder().registry(registry).modelPath(Stories.path()).threads(2).contextLength(512)
                .temperature(0.0).maxTokens(200).kvCache(KvCacheConfig.full()).observer(events::add).queue(new QueueOptions(1, 4));
    }

    @Test
    void aDrainRefusesNewRequestsAndLetsARunningOneFinishWithinTheGracePeriod() throws Exception {
        ChelseaStreamingChatModel m = keep(streaming().build());
        Gate running = new Gate();
        m.chat("Once upon a time", running);
        running.awaitStarted();
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> m.queue().drain(Duration.ofSeconds(30)));
        while (!m.queue().isDraining()) {
            Thread.sleep(5);
        }
        Gate refused = new Gate();
        m.chat("Once upon a time", refused);
        Throwable e = refused.error();
        assertInstanceOf(ChelseaShuttingDownException.class, e);
        assertTrue(e.getMessage().contains("shutting down"), e.getMessage());
        assertFalse(drained.isDone(), "the drain waits for the running request");
        running.release();
        assertTrue(running.response().tokenUsage().outputTokenCount() > 0, "the running request finishes normally");
        assertTrue(drained.get(30, TimeUnit.SECONDS), "everything finished within the grace period");
    }

    @Test
    void aRequestStillRunningWhenTheGracePeriodEndsIsStoppedWithAClearError() throws Exception {
        ChelseaStreamingChatModel m = keep(streaming().build());
        Gate running = new Gate();
        m.chat("Once upon a time", running);
        running.awaitStarted();
        Gate waiting = new Gate();
        m.chat("Once upon a time", waiting);
        assertEquals(1, m.queue().waiting());
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> m.queue().drain(Duration.ofMillis(200)));
        Thread.sleep(400);
        // past the grace period: the tokens are cancelled; the generation stops before its next token
        running.release();
        assertFalse(drained.get(30, TimeUnit.SECONDS), "not everything finished within the grace period");
        assertInstanceOf(ChelseaShuttingDownException.class, running.error());
        Throwable w = waiting.error();
        assertInstanceOf(ChelseaShuttingDownException.class, w);
        assertTrue(w.getMessage().contains("cancelled before it started"), w.getMessage());
        assertEquals(0, m.queue().running() + m.queue().waiting());
        assertEquals(0, m.loadedModel().memory().reserved());
        assertTrue(events.stream().anyMatch(ev -> ev.reason() == StopReason.CANCELLED), "the stopped generation counts as cancelled");
    }

    @Test
    void aStreamPastItsTimeLimitEndsWithTheTextSoFar() throws Exception {
        // generous: the first token must come before the limit even on a loaded machine
        ChelseaStreamingChatModel m = keep(streaming().timeout(Duration.ofSeconds(3)).build());
        Gate slow = new Gate();
        m.chat("Once upon a time", slow);
        slow.awaitStarted();
        Thread.sleep(3200);
        slow.release();
        ChatResponse r = slow.response();
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(StopReason.DEADLINE, ((ChelseaChatResponseMetadata) r.metadata()).stopReason());
        assertEquals(String.join("", slow.pieces), r.aiMessage().text());
        assertTrue(r.tokenUsage().outputTokenCount() < 200 && r.tokenUsage().outputTokenCount() > 0, r.tokenUsage().toString());
        assertTrue(events.stream().anyMatch(ev -> ev.reason() == StopReason.DEADLINE));
    }

    /**
     * A request to {@code m} with {@code parameters} waits behind a gated one (of a chat model without
     * a limit on the same queue) until its time ran out: the limit that applied shows.
     */
    private Throwable timesOutWaiting(ChelseaStreamingChatModel m, String queue, ChelseaChatRequestParameters parameters) throws Exception {
        ChelseaStreamingChatModel blocker = keep(streaming().queueName(queue).build());
        assertTrue(blocker.queue() == m.queue());
        Gate running = new Gate();
        blocker.chat("Once upon a time", running);
        running.awaitStarted();
        Gate waiting = new Gate();
        m.chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).parameters(parameters).build(), waiting);
        Thread.sleep(600);
        running.release();
        running.response();
        return waiting.error();
    }

    @Test
    void aRequestMayAskForLessTimeNeverForMore() throws Exception {
        ChelseaStreamingChatModel limited = keep(streaming().timeout(Duration.ofMillis(300)).queueName("limited").build());
        Throwable e = timesOutWaiting(limited, "limited", ChelseaChatRequestParameters.builder().timeout(Duration.ofHours(1)).build());
        assertInstanceOf(ChelseaTimeoutException.class, e, "the chat model's limit is a ceiling");

        ChelseaStreamingChatModel unlimited = keep(streaming().queueName("unlimited").build());
        e = timesOutWaiting(unlimited, "unlimited", ChelseaChatRequestParameters.builder().timeout(Duration.ofMillis(300)).build());
        assertInstanceOf(ChelseaTimeoutException.class, e, "a request may ask for less");
        assertTrue(e.getMessage().contains("while it waited for a free slot"), e.getMessage());
    }

    @Test
    void aRequestWhoseTimeRunsOutInTheQueueFailsWithATimeoutAndFreesItsPlace() throws Exception {
        ChelseaStreamingChatModel streaming = keep(streaming().build());
        ChelseaChatModel chat = keep(chat().timeout(Duration.ofMillis(300)).build());
        assertTrue(streaming.queue() == chat.queue(), "one queue for both");
        Gate running = new Gate();
        streaming.chat("Once upon a time", running);
        running.awaitStarted();
        CompletableFuture<ChatResponse> waiting = CompletableFuture.supplyAsync(() -> chat.chat(ChatRequest.builder()
                .messages(UserMessage.from("Once upon a time")).build()));
        Thread.sleep(500);
        running.release();
        var e = assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
        assertInstanceOf(ChelseaTimeoutException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("while it waited for a free slot"), e.getCause().getMessage());
        assertTrue(events.stream().anyMatch(ev -> ev.error() instanceof ChelseaTimeoutException), "the observer hears of it");
        // the timeout came at its deadline, while the other request still ran: once that one ends, nothing is held
        running.response();
        assertEquals(0, chat.loadedModel().memory().reserved());
    }

    @Test
    void aRequestWhoseTimeRunsOutInTheQueueHearsAtItsDeadlineNotWhenASlotFrees() throws Exception {
        ChelseaStreamingChatModel streaming = keep(streaming().build());
        ChelseaChatModel chat = keep(chat().timeout(Duration.ofMillis(300)).build());
        Gate running = new Gate();
        streaming.chat("Once upon a time", running);
        running.awaitStarted();
        long reservedByTheRunningOne = chat.loadedModel().memory().reserved();
        CompletableFuture<ChatResponse> waiting = CompletableFuture.supplyAsync(() -> chat.chat(ChatRequest.builder()
                .messages(UserMessage.from("Once upon a time")).build()));
        // the running request is held until after the check: the timeout cannot wait for its slot
        var e = assertThrows(ExecutionException.class, () -> waiting.get(20, TimeUnit.SECONDS));
        assertInstanceOf(ChelseaTimeoutException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("while it waited for a free slot"), e.getCause().getMessage());
        assertEquals(0, chat.queue().waiting(), "its place is free");
        assertEquals(1, chat.queue().running());
        assertEquals(reservedByTheRunningOne, chat.loadedModel().memory().reserved(), "its reservation is given back");
        running.release();
        assertTrue(running.response().tokenUsage().outputTokenCount() > 0);
    }

    @Test
    void anInvalidTimeoutIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> chat().timeout(Duration.ZERO).build());
        assertTrue(e.getMessage().contains("timeout"), e.getMessage());
        ChelseaChatModel m = keep(chat().build());
        var r = assertThrows(ChelseaInvalidRequestException.class, () -> m.chat(ChatRequest.builder()
                .messages(UserMessage.from("hi")).parameters(ChelseaChatRequestParameters.builder().timeout(Duration.ofSeconds(-1)).build())
                .build()));
        assertEquals(RequestParameter.TIMEOUT, r.parameter());
    }
}
