package dev.chelsea.quarkus.deployment;

import dev.chelsea.langchain4j.ChelseaModelRegistry;
import dev.chelsea.quarkus.runtime.ChelseaModels;
import dev.chelsea.quarkus.runtime.ModelName;
import dev.langchain4j.model.ModelDisabledException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import io.quarkus.test.QuarkusUnitTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Default, named and disabled models as beans; one file loaded once for all of them. */
class ChatModelBeansTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.threads", "2")
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.context-length", "512")
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.temperature", "0")
            .overrideConfigKey("quarkus.langchain4j.chelsea.\"story\".chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.\"story\".chat-model.threads", "2")
            .overrideConfigKey("quarkus.langchain4j.chelsea.\"story\".chat-model.context-length", "512")
            .overrideConfigKey("quarkus.langchain4j.chelsea.\"story\".chat-model.temperature", "0")
            .overrideConfigKey("quarkus.langchain4j.chelsea.\"story\".chat-model.max-tokens", "5")
            .overrideConfigKey("quarkus.langchain4j.chelsea.\"story\".chat-model.warm-up", "true")
            .overrideConfigKey("quarkus.langchain4j.chelsea.\"off\".enable-integration", "false");

    @Inject
    ChatModel chat;

    @Inject
    @ModelName("story")
    ChatModel story;

    @Inject
    @ModelName("story")
    StreamingChatModel storyStreaming;

    @Inject
    @ModelName("off")
    ChatModel off;

    @Inject
    ChelseaModels models;

    @Test
    void defaultAndNamedModelsShareOneLoadedFile() {
        assertEquals(java.util.List.of("<default>", "off", "story"), models.names().stream().sorted().toList());
        assertSame(models.entry("<default>").orElseThrow().loaded(), models.entry("story").orElseThrow().loaded());
        assertEquals(1, ChelseaModelRegistry.shared().loaded().size());
    }

    @Test
    void aModelWithWarmUpIsWarmAtStartUp() {
        dev.chelsea.engine.model.WarmUp.Report r = models.entry("story").orElseThrow().loaded().warmedUp();
        assertTrue(r != null && r.prefills() >= 1 && r.decodeSteps() >= 8, "warm-up report: " + r);
    }

    @Test
    void namedModelsKeepTheirOwnSettings() {
        ChatResponse a = chat.chat(ChatRequest.builder().messages(dev.langchain4j.data.message.UserMessage.from("Once upon a time"))
                .maxOutputTokens(20).build());
        ChatResponse b = story.chat(ChatRequest.builder().messages(dev.langchain4j.data.message.UserMessage.from("Once upon a time")).build());
        assertEquals(20, a.tokenUsage().outputTokenCount());
        assertEquals(5, b.tokenUsage().outputTokenCount(), "the named model's max-tokens");
        assertEquals(FinishReason.LENGTH, b.finishReason());
        assertTrue(a.aiMessage().text().startsWith(b.aiMessage().text()), "greedy answers agree: " + a.aiMessage().text()
                + " / " + b.aiMessage().text());
        assertEquals("story", b.metadata().modelName());
    }

    @Test
    void namedStreamingModelStreams() throws Exception {
        StringBuilder pieces = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        storyStreaming.chat("Once upon a time", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                pieces.append(partialResponse);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(30, TimeUnit.SECONDS);
        assertEquals(r.aiMessage().text(), pieces.toString());
    }

    @Test
    void aDisabledModelRefusesRequests() {
        assertThrows(ModelDisabledException.class, () -> off.chat("hello"));
        assertTrue(!models.entry("off").orElseThrow().enabled());
    }
}
