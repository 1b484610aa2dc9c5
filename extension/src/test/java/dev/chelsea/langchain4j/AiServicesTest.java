package dev.chelsea.langchain4j;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.tool.ToolExecution;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LangChain4j AI services on a random-weight model, in each family's tool format: the tool runs
 * with arguments valid for its schema, and a method that returns a record gets one with every
 * field, because the grammar leaves the model no other way. Tool choice is REQUIRED for the
 * first round; once the tool has answered, NONE: LangChain4j 1.19 keeps a request's tool choice
 * for every round, so a service that forces a call would otherwise call tools forever.
 */
class AiServicesTest {
    /** LangChain4j requires no field unless told: these three must be there, the notes may be. */
    record Forecast(@JsonProperty(required = true) String city, @JsonProperty(required = true) int temperature,
                    @JsonProperty(required = true) Boolean sunny, List<String> notes) {
    }

    interface Forecaster {
        Forecast forecast(String question);
    }

    interface StreamingForecaster {
        TokenStream forecast(String question);
    }

    static final class WeatherTools {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Tool("The weather in a city for the next days")
        String weather(@P(name = "city", value = "the city") String city, @P(name = "days", value = "how many days, 1 to 7") int days) {
            calls.add(city + "/" + days);
            return "Sunny, 22 degrees.";
        }
    }

    /** REQUIRED until a tool has answered, then NONE. */
    static ChatRequest forceOneRound(ChatRequest r) {
        boolean answered = r.messages().getLast() instanceof ToolExecutionResultMessage;
        return r.toBuilder().parameters(r.parameters().overrideWith(ChatRequestParameters.builder()
                .toolChoice(answered ? ToolChoice.NONE : ToolChoice.REQUIRED).build())).build();
    }

    static <B extends ChelseaModelBuilder<B>> B configure(B b, String family, Synthetic.SchemaCheck check) {
        return b.modelPath(Synthetic.path()).threads(2).contextLength(2048).kvCache(KvCacheConfig.full()).chatTemplate(family)
                .temperature(1.0).seed(11L).maxTokens(160).listeners(List.of(check));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3.2", "qwen2.5", "qwen3", "mistral-nemo", "mistral-small", "plain"})
    void theToolRunsAndTheMethodReturnsAValidObject(String family) {
        Synthetic.SchemaCheck check = new Synthetic.SchemaCheck();
        try (ChelseaChatModel model = configure(ChelseaChatModel.builder(), family, check).build()) {
            WeatherTools tools = new WeatherTools();
            Forecaster forecaster = AiServices.builder(Forecaster.class).chatModel(model).tools(tools)
                    .chatRequestTransformer(AiServicesTest::forceOneRound).build();
            Forecast f = forecaster.forecast("What is the weather in Paris this week?");
            check.assertNoFailures();
            assertFalse(tools.calls.isEmpty(), family + ": the tool did not run");
            assertNotNull(f, family);
            assertNotNull(f.city(), family + ": " + f);
            assertNotNull(f.sunny(), family + ": " + f);
            assertTrue(check.checked.contains("json"), family + ": " + check.checked);
            assertTrue(check.checked.contains("call weather"), family + ": " + check.checked);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3.2", "qwen2.5", "mistral-nemo", "mistral-small"})
    void aStreamingServiceHearsItsToolCallsPieceByPiece(String family) throws Exception {
        Synthetic.SchemaCheck check = new Synthetic.SchemaCheck();
        try (ChelseaStreamingChatModel model = configure(ChelseaStreamingChatModel.builder(), family, check).build()) {
            WeatherTools tools = new WeatherTools();
            StreamingForecaster forecaster = AiServices.builder(StreamingForecaster.class).streamingChatModel(model).tools(tools)
                    .chatRequestTransformer(AiServicesTest::forceOneRound).build();
            List<PartialToolCall> partials = new CopyOnWriteArrayList<>();
            List<ToolExecution> executed = new CopyOnWriteArrayList<>();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            forecaster.forecast("What is the weather in Paris this week?")
                    .onPartialResponse(piece -> { })
                    .onPartialToolCall(partials::add)
                    .onToolExecuted(executed::add)
                    .onCompleteResponse(done::complete)
                    .onError(done::completeExceptionally)
                    .start();
            ChatResponse last = done.get(60, TimeUnit.SECONDS);
            check.assertNoFailures();
            assertFalse(executed.isEmpty(), family);
            for (ToolExecution e : executed) {
                String streamed = partials.stream().filter(p -> p.id().equals(e.request().id()))
                        .map(PartialToolCall::partialArguments).reduce("", String::concat);
                assertEquals(e.request().arguments(), streamed, family + ": the pieces add up to the arguments");
                assertTrue(partials.stream().filter(p -> p.id().equals(e.request().id())).allMatch(p -> p.name().equals("weather")));
            }
            assertEquals(tools.calls.size(), executed.size());
            assertFalse(last.aiMessage().hasToolExecutionRequests(), "the last round answers (tool choice NONE)");
        }
    }
}
