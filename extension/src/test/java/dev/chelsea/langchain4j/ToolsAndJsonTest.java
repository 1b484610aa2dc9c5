package dev.chelsea.langchain4j;

import dev.chelsea.engine.grammar.StrictJson;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JSON response formats and tools on the chat models, on a random-weight model: outputs that
 * validate, streamed tool calls that add up to the final ones, tool results fed back, and the
 * schemas and requests that are refused, each naming its parameter.
 */
class ToolsAndJsonTest {
    static final Synthetic.SchemaCheck check = new Synthetic.SchemaCheck();
    static ChelseaChatModel model;

    static final ToolSpecification WEATHER = ToolSpecification.builder().name("weather").description("The weather in a city")
            .parameters(schema("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
                    + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]},\"days\":{\"type\":\"integer\"}},"
                    + "\"required\":[\"city\",\"days\"]}"))
            .build();
    static final ToolSpecification CLOCK = ToolSpecification.builder().name("clock").description("The time").build();
    static final ResponseFormat FORECAST = ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder()
            .name("Forecast").rootElement(schema("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
                    + "\"when\":{\"type\":\"string\",\"format\":\"date-time\"},\"temperature\":{\"type\":\"number\"}},"
                    + "\"required\":[\"city\",\"when\",\"temperature\"]}")).build()).build();

    @BeforeAll
    static void build() {
        model = builder("qwen2.5").build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static ChelseaChatModel.Builder builder(String family) {
        return ChelseaChatModel.builder().modelPath(Synthetic.path()).threads(2).contextLength(2048).kvCache(KvCacheConfig.full())
                .chatTemplate(family).temperature(1.0).maxTokens(120).listeners(List.of(check));
    }

    static JsonObjectSchema schema(String json) {
        return (JsonObjectSchema) JsonSchemaElementJsonUtils.fromMap(dev.langchain4j.internal.Json.fromJson(json, Map.class));
    }

    static ChatRequest.Builder ask(long seed) {
        return ChatRequest.builder().messages(UserMessage.from("What is the weather in Paris?"))
                .parameters(ChelseaChatRequestParameters.builder().seed(seed).build());
    }

    @Test
    void jsonAnswersParseAndValidate() {
        assertEquals(java.util.Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA), model.supportedCapabilities());
        check.checked.clear();
        for (long seed = 0; seed < 3; seed++) {
            ChatResponse object = model.chat(ask(seed).responseFormat(ResponseFormat.JSON).build());
            assertInstanceOf(Map.class, StrictJson.parse(object.aiMessage().text()), object.aiMessage().text());
            // "format" is not enforced (the grammar cannot), but does not stop the schema either
            ChatResponse forecast = model.chat(ask(seed).responseFormat(FORECAST).build());
            assertEquals(FinishReason.STOP, forecast.finishReason(), forecast.aiMessage().text());
        }
        check.assertNoFailures();
        assertEquals(3, check.checked.stream().filter("json"::equals).count());
    }

    @Test
    void aSchemaIsCompiledOncePerModel() {
        model.chat(ask(1).responseFormat(FORECAST).build());
        int cached = model.loadedModel().constraints().size();
        model.chat(ask(2).responseFormat(FORECAST).maxOutputTokens(30).build());
        assertEquals(cached, model.loadedModel().constraints().size());
    }

    @Test
    void toolChoiceAutoBesideAJsonFormatGivesCallsOrAValidAnswer() {
        // Llama's calls are JSON objects too: beside a JSON answer they start with <|python_tag|>
        int calls = 0;
        try (ChelseaChatModel llama = builder("llama3.2").build()) {
            for (long seed = 0; seed < 6; seed++) {
                int before = check.checked.size();
                ChatResponse r = llama.chat(ask(seed).toolSpecifications(WEATHER, CLOCK).responseFormat(FORECAST).build());
                boolean called = r.aiMessage().hasToolExecutionRequests();
                calls += called ? 1 : 0;
                assertEquals(called ? FinishReason.TOOL_EXECUTION : FinishReason.STOP, r.finishReason());
                assertTrue(check.checked.size() > before, "a call or a JSON answer, checked: " + r.aiMessage());
            }
        }
        check.assertNoFailures();
        assertTrue(calls > 0 && calls < 6, "both kinds of answer in six seeds: " + calls + " called");
    }

    @Test
    void toolResultsGoBackIntoTheConversation() {
        List<ChatMessage> history = new ArrayList<>(List.of(UserMessage.from("What is the weather in Paris?"),
                AiMessage.from(ToolExecutionRequest.builder().id("a1b2c3d4e").name("weather").arguments("{\"city\":\"Paris\",\"days\":2}").build()),
                ToolExecutionResultMessage.from("a1b2c3d4e", "weather", "Sunny, 22 degrees.")));
        for (String family : List.of("llama3.2", "qwen3", "mistral-nemo", "mistral-small", "plain")) {
            try (ChelseaChatModel m = builder(family).build()) {
                ChatResponse none = m.chat(ChatRequest.builder().messages(history).toolSpecifications(WEATHER)
                        .toolChoice(ToolChoice.NONE).responseFormat(FORECAST).build());
                assertFalse(none.aiMessage().hasToolExecutionRequests(), family);
                assertInstanceOf(Map.class, StrictJson.parse(none.aiMessage().text()), family);
                ChatResponse again = m.chat(ChatRequest.builder().messages(history).toolSpecifications(WEATHER)
                        .toolChoice(ToolChoice.REQUIRED).build());
                assertTrue(again.aiMessage().hasToolExecutionRequests(), family);
            }
        }
        check.assertNoFailures();
        // Llama's template takes one call per turn, and says so
        List<ChatMessage> two = List.of(UserMessage.from("Weather and time?"), AiMessage.from(
                ToolExecutionRequest.builder().id("a1b2c3d4e").name("weather").arguments("{\"city\":\"Paris\",\"days\":1}").build(),
                ToolExecutionRequest.builder().id("f5g6h7i8j").name("clock").arguments("{}").build()));
        try (ChelseaChatModel llama = builder("llama3.2").build()) {
            var e = assertThrows(ChelseaInvalidRequestException.class, () -> llama.chat(ChatRequest.builder().messages(two)
                    .toolSpecifications(WEATHER, CLOCK).build()));
            assertEquals(RequestParameter.MESSAGES, e.parameter());
            assertTrue(e.getMessage().contains("single tool-calls"), e.getMessage());
        }
    }

    @Test
    void whatTheGrammarCannotHoldIsRefusedByName() {
        ResponseFormat pattern = ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("code")
                .rootElement(schema("{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"pattern\":\"[A-Z]+\"}}}"))
                .build()).build();
        var json = assertThrows(ChelseaUnsupportedFeatureException.class, () -> model.chat(ask(1).responseFormat(pattern).build()));
        assertEquals(RequestParameter.RESPONSE_FORMAT, json.parameter());
        assertTrue(json.getMessage().contains("$.properties.code: 'pattern' is not supported"), json.getMessage());
        ToolSpecification coded = ToolSpecification.builder().name("lookup").parameters(schema(
                "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":3}}}")).build();
        var tool = assertThrows(ChelseaUnsupportedFeatureException.class, () -> model.chat(ask(1).toolSpecifications(coded).build()));
        assertEquals(RequestParameter.TOOL_SPECIFICATIONS, tool.parameter());
        assertTrue(tool.getMessage().contains("tool 'lookup' $.properties.n: 'minimum' is not supported"), tool.getMessage());
        var choice = assertThrows(ChelseaInvalidRequestException.class, () -> model.chat(ask(1).toolChoice(ToolChoice.REQUIRED).build()));
        assertEquals(RequestParameter.TOOL_CHOICE, choice.parameter());
        var twice = assertThrows(ChelseaInvalidRequestException.class, () -> model.chat(ask(1).toolSpecifications(CLOCK, CLOCK).build()));
        assertEquals(RequestParameter.TOOL_SPECIFICATIONS, twice.parameter());
    }

    /** Collects everything a stream says. */
    static final class Recorder implements StreamingChatResponseHandler {
        final List<String> content = new CopyOnWriteArrayList<>();
        final List<PartialToolCall> partials = new CopyOnWriteArrayList<>();
        final List<CompleteToolCall> completes = new CopyOnWriteArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            content.add(partial.text());
        }

        @Override
        public void onPartialToolCall(PartialToolCall partial, PartialToolCallContext context) {
            partials.add(partial);
        }

        @Override
        public void onCompleteToolCall(CompleteToolCall complete) {
            completes.add(complete);
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            done.complete(response);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3.2", "qwen3", "mistral-nemo", "mistral-small"})
    void streamedCallsAddUpToTheCallsOfTheResponse(String family) throws Exception {
        try (ChelseaStreamingChatModel streaming = ChelseaStreamingChatModel.builder().modelPath(Synthetic.path()).threads(2)
                .contextLength(2048).kvCache(KvCacheConfig.full()).chatTemplate(family).temperature(1.0).maxTokens(200).build()) {
            for (long seed = 0; seed < 2; seed++) {
                ChatRequest request = ask(seed).toolSpecifications(WEATHER, CLOCK).toolChoice(ToolChoice.REQUIRED).build();
                Recorder r = new Recorder();
                streaming.chat(request, r);
                ChatResponse response = r.done.get(60, TimeUnit.SECONDS);
                String where = family + " seed " + seed + ": " + response.aiMessage();
                assertEquals(FinishReason.TOOL_EXECUTION, response.finishReason(), where);
                List<ToolExecutionRequest> calls = response.aiMessage().toolExecutionRequests();
                assertEquals(calls.size(), r.completes.size(), where);
                for (int k = 0; k < calls.size(); k++) {
                    int index = k;
                    assertEquals(k, r.completes.get(k).index(), where);
                    assertEquals(calls.get(k), r.completes.get(k).toolExecutionRequest(), where);
                    List<PartialToolCall> pieces = r.partials.stream().filter(p -> p.index() == index).toList();
                    assertEquals(calls.get(k).arguments(), pieces.stream().map(PartialToolCall::partialArguments).reduce("", String::concat), where);
                    assertTrue(pieces.stream().allMatch(p -> p.id().equals(calls.get(index).id()) && p.name().equals(calls.get(index).name())), where);
                }
                String text = response.aiMessage().text();
                assertEquals(text == null ? "" : text, String.join("", r.content), where);
                check.check(request.parameters(), response.aiMessage());
            }
        }
    }

    @Test
    void aStreamWithoutToolsIsUnchangedByAJsonFormat() throws Exception {
        try (ChelseaStreamingChatModel streaming = ChelseaStreamingChatModel.builder().modelPath(Synthetic.path()).threads(2)
                .contextLength(2048).chatTemplate("qwen2.5").temperature(1.0).maxTokens(80).build()) {
            Recorder r = new Recorder();
            streaming.chat(ask(3).responseFormat(ResponseFormat.JSON).build(), r);
            ChatResponse response = r.done.get(60, TimeUnit.SECONDS);
            assertEquals(response.aiMessage().text(), String.join("", r.content));
            assertInstanceOf(Map.class, StrictJson.parse(response.aiMessage().text()));
            assertTrue(r.partials.isEmpty() && r.completes.isEmpty());
        }
    }
}
