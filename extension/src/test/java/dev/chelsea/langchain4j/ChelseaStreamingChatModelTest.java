package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.StopReason;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChelseaStreamingChatModelTest {
    static final List<GenerationEvent> generations = new CopyOnWriteArrayList<>();
    static ChelseaStreamingChatModel model;

    @BeforeAll
    static void build() {
        model = ChelseaStreamingChatModel.builder()
                .modelPath(Stories.path())
                .threads(2)
                .contextLength(512)
                .temperature(0.0)
                .maxTokens(40)
                .kvCache(KvCacheConfig.full())
                .observer(generations::add)
                .build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Collects a stream; {@code cancelAfter} pieces, if positive, cancels through the streaming handle. */
    static final class Collector implements StreamingChatResponseHandler {
        final List<String> pieces = new CopyOnWriteArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        final int cancelAfter;
        volatile boolean completeCalled;

        Collector(int cancelAfter) {
            this.cancelAfter = cancelAfter;
        }

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            pieces.add(partial.text());
            if (pieces.size() == cancelAfter) {
                context.streamingHandle().cancel();
                assertTrue(context.streamingHandle().isCancelled());
            }
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            completeCalled = true;
            done.complete(response);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }
    }

    @Test
    void streamsTheGreedyAnswerPieceByPieceThenCompletes() throws Exception {
        Collector c = new Collector(0);
        model.chat("Once upon a time", c);
        ChatResponse r = c.done.get(30, TimeUnit.SECONDS);
        assertTrue(c.pieces.size() > 10, "one piece per token or so: " + c.pieces);
        assertEquals(r.aiMessage().text(), String.join("", c.pieces));
        assertTrue(r.aiMessage().text().startsWith(Stories.GREEDY_START), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(40, r.tokenUsage().outputTokenCount());
    }

    @Test
    void theStreamingHandleStopsGenerationBeforeTheNextToken() throws Exception {
        generations.clear();
        Collector c = new Collector(3);
        model.chat("Once upon a time", c);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (generations.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        GenerationEvent e = generations.getFirst();
        assertEquals(StopReason.CANCELLED, e.reason());
        assertEquals(3, e.stats().generatedTokens(), "no token after the cancelling one");
        Thread.sleep(50);
        assertEquals(3, c.pieces.size());
        assertFalse(c.completeCalled, "a cancelled stream is not completed");
        assertFalse(c.done.isDone(), "and gets no error either");
    }

    @Test
    void refusalsArriveThroughOnError() throws Exception {
        Collector c = new Collector(0);
        model.chat(ChatRequest.builder().messages(UserMessage.from("hi")).presencePenalty(0.5).build(), c);
        var e = assertThrows(c);
        assertInstanceOf(UnsupportedFeatureException.class, e);
        Collector tooLong = new Collector(0);
        model.chat("Once upon a time ".repeat(200), tooLong);
        assertInstanceOf(ChelseaPromptTooLongException.class, assertThrows(tooLong));
    }

    private static Throwable assertThrows(Collector c) throws InterruptedException {
        try {
            c.done.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no error reported");
        }
        throw new AssertionError("expected an error");
    }
}
