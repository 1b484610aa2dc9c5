package dev.chelsea.quarkus.it;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LangChain4j's own OpenAI client talks to the service as it would to OpenAI. */
@QuarkusTest
class OpenAiClientCompatibilityTest {
    @TestHTTPResource("/v1")
    URL v1;

    @Test
    void theOpenAiChatModelGetsAnAnswer() {
        OpenAiChatModel client = OpenAiChatModel.builder()
                .baseUrl(v1.toString())
                .apiKey("not-needed")
                .modelName("story")
                .maxTokens(12)
                .build();
        ChatResponse r = client.chat(dev.langchain4j.data.message.UserMessage.from("Once upon a time"));
        assertTrue(r.aiMessage().text().startsWith(", there was a little girl"), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(12, r.tokenUsage().outputTokenCount());
        assertEquals(5, r.tokenUsage().inputTokenCount());
    }

    @Test
    void theOpenAiStreamingChatModelStreams() throws Exception {
        OpenAiStreamingChatModel client = OpenAiStreamingChatModel.builder()
                .baseUrl(v1.toString())
                .apiKey("not-needed")
                .modelName("story")
                .build();
        List<String> pieces = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        client.chat("Once upon a time", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.add(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertTrue(pieces.size() > 5, "streamed in pieces: " + pieces);
        assertEquals(String.join("", pieces), r.aiMessage().text());
        assertTrue(r.aiMessage().text().startsWith(", there was a little girl named Lily."), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void errorsReachTheClientAsOpenAiErrors() {
        OpenAiChatModel client = OpenAiChatModel.builder()
                .baseUrl(v1.toString())
                .apiKey("not-needed")
                .modelName("no-such-model")
                .maxRetries(0)
                .build();
        var e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> client.chat("hi"));
        assertTrue(String.valueOf(e.getMessage()).contains("unknown model 'no-such-model'"), String.valueOf(e.getMessage()));
    }
}
