package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.StopReason;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat model on the real stories260K model: greedy text as llama.cpp writes it, limits, stops, refusals. */
class ChelseaChatModelTest {
    static final List<String> events = new CopyOnWriteArrayList<>();
    static final List<GenerationEvent> generations = new CopyOnWriteArrayList<>();
    static ChelseaChatModel model;

    @BeforeAll
    static void build() {
        model = ChelseaChatModel.builder()
                .modelPath(Stories.path())
                .threads(2)
                .contextLength(512)
                .temperature(0.0)
                .maxTokens(40)
                .kvCache(KvCacheConfig.full())
                .modelName("stories")
                .observer(generations::add)
                .listeners(List.of(new ChatModelListener() {
                    @Override
                    public void onRequest(ChatModelRequestContext c) {
                        events.add("request " + c.chatRequest().messages().size());
                    }

                    @Override
                    public void onResponse(ChatModelResponseContext c) {
                        events.add("response " + c.chatResponse().finishReason());
                    }

                    @Override
                    public void onError(ChatModelErrorContext c) {
                        events.add("error " + c.error().getClass().getSimpleName());
                    }
                }))
                .build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static ChatResponse ask(String text, Integer maxTokens, String... stops) {
        var b = ChatRequest.builder().messages(UserMessage.from(text)).maxOutputTokens(maxTokens);
        if (stops.length > 0) {
            b.stopSequences(List.of(stops));
        }
        return model.chat(b.build());
    }

    @Test
    void greedyAnswerMatchesLlamaCppAndReportsUsage() {
        ChatResponse r = ask("Once upon a time", null);
        assertTrue(r.aiMessage().text().startsWith(Stories.GREEDY_START), r.aiMessage().text());
        int promptTokens = model.loadedModel().model().encodeText("Once upon a time").length;
        assertEquals(promptTokens, r.tokenUsage().inputTokenCount());
        assertEquals(40, r.tokenUsage().outputTokenCount());
        assertEquals(promptTokens + 40, r.tokenUsage().totalTokenCount());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals("stories", r.metadata().modelName());
        var meta = assertInstanceOf(ChelseaChatResponseMetadata.class, r.metadata());
        assertEquals(StopReason.MAX_TOKENS, meta.stopReason());
        assertEquals(40, meta.stats().generatedTokens());
        assertEquals("plain", model.chatTemplateFamily(), "stories260K has no chat template");
    }

    @Test
    void aStopSequenceEndsTheAnswerBeforeIt() {
        ChatResponse r = ask("Once upon a time", 100, "Lily");
        assertEquals(", there was a little girl named ", r.aiMessage().text());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void requestParametersOverrideTheDefaults() {
        assertEquals(3, ask("Once upon a time", 3).tokenUsage().outputTokenCount());
        var p = ChelseaChatRequestParameters.builder().temperature(1.0).seed(7L).maxOutputTokens(12).build();
        String a = model.chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).parameters(p).build()).aiMessage().text();
        String b = model.chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).parameters(p).build()).aiMessage().text();
        assertEquals(a, b, "same seed, same sampled answer");
        var other = ChelseaChatRequestParameters.builder().temperature(1.0).seed(8L).maxOutputTokens(12).build();
        List<String> answers = new ArrayList<>();
        for (long seed = 8; seed < 12; seed++) {
            var q = ChelseaChatRequestParameters.builder().temperature(1.5).seed(seed).maxOutputTokens(12).build();
            answers.add(model.chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).parameters(q).build()).aiMessage().text());
        }
        assertNotEquals(1, answers.stream().distinct().count(), "seeds change sampled answers: " + answers);
        assertEquals(12, model.chat(ChatRequest.builder().messages(UserMessage.from("x")).parameters(other).build())
                .tokenUsage().outputTokenCount());
    }

    @Test
    void listenersAndTheObserverHearEveryRequest() {
        events.clear();
        generations.clear();
        ask("Once upon a time", 2);
        assertThrows(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .toolSpecifications(ToolSpecification.builder().name("clock").description("time").build()).build()));
        assertEquals(List.of("request 1", "response LENGTH", "request 1", "error ChelseaUnsupportedFeatureException"), events);
        assertEquals(1, generations.size(), "a refused request generates nothing");
        assertEquals("stories", generations.getFirst().model());
        assertEquals(2, generations.getFirst().stats().generatedTokens());
    }

    @Test
    void unsupportedFeaturesAreRefusedNotIgnored() {
        var image = assertThrows(UnsupportedFeatureException.class, () -> model.chat(UserMessage.from(
                TextContent.from("what is this?"), ImageContent.from("https://example.invalid/cat.png"))));
        assertTrue(image.getMessage().contains("IMAGE"), image.getMessage());
        var tool = assertThrows(UnsupportedFeatureException.class, () -> model.chat(List.of(UserMessage.from("time?"),
                AiMessage.from(dev.langchain4j.agent.tool.ToolExecutionRequest.builder().name("clock").arguments("{}").build()))));
        assertTrue(tool.getMessage().contains("tool"), tool.getMessage());
        var json = assertThrows(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder()
                .messages(UserMessage.from("hi")).responseFormat(dev.langchain4j.model.chat.request.ResponseFormat.JSON).build()));
        assertTrue(json.getMessage().contains("JSON"), json.getMessage());
        var penalty = assertThrows(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder()
                .messages(UserMessage.from("hi")).frequencyPenalty(0.5).build()));
        assertTrue(penalty.getMessage().contains("repetitionPenalty"), penalty.getMessage());
    }

    @Test
    void badInputIsAnInvalidRequest() {
        var tooLong = assertThrows(ChelseaPromptTooLongException.class, () -> ask("Once upon a time ".repeat(200), null));
        assertTrue(tooLong.promptTokens() >= 512 && tooLong.contextLength() == 512, tooLong.getMessage());
        var zero = assertThrows(InvalidRequestException.class, () -> ask("Once", 0));
        assertTrue(zero.getMessage().contains("at least 1"), zero.getMessage());
        var temp = assertThrows(InvalidRequestException.class, () -> model.chat(ChatRequest.builder()
                .messages(UserMessage.from("hi")).temperature(-1.0).build()));
        assertTrue(temp.getMessage().contains("temperature"), temp.getMessage());
        var empty = assertThrows(InvalidRequestException.class, () -> model.chat(UserMessage.from(" ")));
        assertTrue(empty.getMessage().contains("no text"), empty.getMessage());
    }

    @Test
    void theConfiguredMaxTokensIsACeilingForRequests() {
        assertEquals(40, ask("Once upon a time", 200).tokenUsage().outputTokenCount());
        assertEquals(40, ask("Once upon a time", 1_000_000_000).tokenUsage().outputTokenCount());
        var tool = assertThrows(ChelseaUnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder()
                .messages(UserMessage.from("hi")).presencePenalty(0.5).build()));
        assertEquals(RequestParameter.PRESENCE_PENALTY, tool.parameter());
        var topP = assertThrows(ChelseaInvalidRequestException.class, () -> model.chat(ChatRequest.builder()
                .messages(UserMessage.from("hi")).topP(1.5).build()));
        assertEquals(RequestParameter.TOP_P, topP.parameter());
        assertTrue(topP.getMessage().contains("top-p must be in (0, 1], got 1.5"), topP.getMessage());
    }

    @Test
    void theAnswerRoomIsLimitedByTheContext() {
        // About 490 prompt tokens leave fewer than the 40 max tokens for the answer.
        String text = "Once upon a time ".repeat(122);
        int prompt = model.loadedModel().model().encodeText(text).length;
        ChatResponse r = ask(text, 200);
        assertTrue(512 - prompt < 40, "prompt " + prompt);
        assertEquals(512 - prompt, r.tokenUsage().outputTokenCount());
        assertEquals(FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void systemMessagesAreFirstInThePlainPrompt() {
        ChatResponse withSystem = model.chat(SystemMessage.from("Once upon a time"), UserMessage.from("there was a dog"));
        int prompt = model.loadedModel().model().encodeText("Once upon a time\nthere was a dog").length;
        assertEquals(prompt, withSystem.tokenUsage().inputTokenCount());
    }
}
