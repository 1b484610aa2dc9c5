package dev.chelsea.langchain4j;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One load per file and options, shared by chat models; a bounded queue; concurrent requests. */
class ChelseaModelRegistryTest {
    private final AtomicInteger loads = new AtomicInteger();
    private final ChelseaModelRegistry registry = new ChelseaModelRegistry(key -> {
        loads.incrementAndGet();
        return Model.load(key.file(), key.options());
    });

    private ChelseaChatModel.Builder chat() {
        return ChelseaChatModel.builder().registry(registry).modelPath(Stories.path()).threads(2).contextLength(512)
                .temperature(0.0).kvCache(KvCacheConfig.full());
    }

    @Test
    void modelsOfOneFileShareOneLoadAndUnloadWithTheLastLease(@TempDir Path dir) throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("alias.gguf"), Stories.path());
        ChelseaChatModel a = chat().build();
        ChelseaStreamingChatModel b = ChelseaStreamingChatModel.builder().registry(registry).modelPath(link).threads(2)
                .contextLength(512).build();
        assertSame(a.loadedModel(), b.loadedModel(), "a link to the same file is the same model");
        assertEquals(1, loads.get());
        ChelseaChatModel other = chat().contextLength(256).build();
        assertEquals(2, loads.get(), "other load options are another model");
        assertEquals(2, registry.loaded().size());
        other.close();
        a.close();
        assertEquals(1, registry.loaded().size(), "b still holds the first");
        b.close();
        assertTrue(registry.loaded().isEmpty());
        assertThrows(IllegalStateException.class, a::loadedModel);
    }

    @Test
    void idleModelsCanBeKeptForTheNextUser() {
        registry.keepIdleModels(true);
        chat().build().close();
        assertEquals(1, registry.loaded().size());
        ChelseaChatModel again = chat().build();
        assertEquals(1, loads.get(), "reused, not loaded again");
        again.close();
        assertEquals(1, registry.closeIdle());
        assertTrue(registry.loaded().isEmpty());
    }

    @Test
    void aFullQueueRefusesWithAClearError() throws Exception {
        ChelseaChatModel sync = chat().queue(new QueueOptions(1, 1)).build();
        ChelseaStreamingChatModel streaming = ChelseaStreamingChatModel.builder().registry(registry).modelPath(Stories.path())
                .threads(2).contextLength(512).queue(new QueueOptions(1, 1)).build();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<ChatResponse> first = new CompletableFuture<>();
        // The first request holds the only slot until released; the second waits; the third is refused.
        streaming.chat("Once upon a time", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse p, PartialResponseContext c) {
                running.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                first.complete(r);
            }

            @Override
            public void onError(Throwable e) {
                first.completeExceptionally(e);
            }
        });
        assertTrue(running.await(30, TimeUnit.SECONDS));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<String> second = pool.submit(() -> sync.chat("Once upon a time"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (sync.queue().waiting() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, sync.queue().waiting());
            assertSame(sync.queue(), streaming.queue(), "one shared queue unless named");
            var e = assertThrows(ChelseaQueueFullException.class, () -> sync.chat("Once upon a time"));
            assertTrue(e.getMessage().contains("is busy: 1 requests running and 1 waiting"), e.getMessage());
            CompletableFuture<ChatResponse> third = new CompletableFuture<>();
            streaming.chat("Once", new StreamingChatResponseHandler() {
                @Override
                public void onCompleteResponse(ChatResponse r) {
                    third.complete(r);
                }

                @Override
                public void onError(Throwable t) {
                    third.completeExceptionally(t);
                }
            });
            var streamed = assertThrows(java.util.concurrent.ExecutionException.class, () -> third.get(1, TimeUnit.SECONDS));
            assertInstanceOf(ChelseaQueueFullException.class, streamed.getCause());
            release.countDown();
            assertTrue(first.get(30, TimeUnit.SECONDS).aiMessage().text().length() > 0);
            assertTrue(second.get(30, TimeUnit.SECONDS).startsWith(Stories.GREEDY_START));
        } finally {
            release.countDown();
            pool.shutdownNow();
            sync.close();
            streaming.close();
        }
    }

    @Test
    void namedQueuesHaveTheirOwnLimitsOnOneLoadedModel() {
        try (ChelseaChatModel a = chat().queueName("a").queue(new QueueOptions(1, 0)).build();
             ChelseaStreamingChatModel a2 = ChelseaStreamingChatModel.builder().registry(registry).modelPath(Stories.path())
                     .threads(2).contextLength(512).queueName("a").queue(new QueueOptions(1, 0)).build();
             ChelseaChatModel b = chat().queueName("b").queue(new QueueOptions(3, 5)).build()) {
            assertSame(a.loadedModel(), b.loadedModel());
            assertEquals(1, loads.get());
            assertSame(a.queue(), a2.queue());
            assertEquals(new QueueOptions(3, 5), b.queue().options());
            assertEquals(2, a.loadedModel().queues().size());
        }
    }

    @Test
    void concurrentRequestsGetTheSameGreedyAnswersAsSequentialOnes() throws Exception {
        ChelseaChatModel model = chat().queue(new QueueOptions(2, 16)).maxTokens(30).build();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            String[] prompts = {"Once upon a time", "Lily and Ben went to the park", "The little dog was sad because"};
            List<String> expected = new ArrayList<>();
            for (String p : prompts) {
                expected.add(model.chat(p));
            }
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String p = prompts[i % prompts.length];
                answers.add(pool.submit(() -> model.chat(p)));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertEquals(expected.get(i % prompts.length), answers.get(i).get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
            model.close();
        }
    }

    @Test
    void aConfiguredTemplateFamilyRendersThePrompt() {
        try (ChelseaChatModel model = chat().chatTemplate("ChatML").maxTokens(3).build()) {
            assertEquals("chatml", model.chatTemplateFamily());
            var tokenizer = model.loadedModel().model().tokenizer();
            String prompt = dev.chelsea.engine.tokenizer.ChatTemplates.byFamily("chatml")
                    .render(List.of(dev.chelsea.engine.tokenizer.ChatMessage.user("Once upon a time")), true);
            var r = model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                    .messages(dev.langchain4j.data.message.UserMessage.from("Once upon a time")).build());
            assertEquals(tokenizer.encode(prompt, tokenizer.addsBos(), true).length, r.tokenUsage().inputTokenCount());
        }
    }

    @Test
    void buildingFailsClearlyAndReleasesTheModel() {
        var missing = assertThrows(IllegalArgumentException.class, () -> chat().modelPath(Path.of("/nonexistent.gguf")).build());
        assertTrue(missing.getMessage().contains("model file not found: /nonexistent.gguf"), missing.getMessage());
        var template = assertThrows(IllegalArgumentException.class, () -> chat().chatTemplate("no-such-family").build());
        assertTrue(template.getMessage().contains("unknown chat template family 'no-such-family'"), template.getMessage());
        assertTrue(template.getMessage().contains("chatml") && template.getMessage().contains("'plain'"), template.getMessage());
        var sampling = assertThrows(IllegalArgumentException.class, () -> chat().topP(0.0).build());
        assertTrue(sampling.getMessage().contains("top-p"), sampling.getMessage());
        assertTrue(registry.loaded().isEmpty(), "a failed build keeps no lease");
        assertThrows(IllegalArgumentException.class, () -> new ModelOptions(0, 0, dev.chelsea.engine.backend.BackendChoice.CPU));
    }
}
