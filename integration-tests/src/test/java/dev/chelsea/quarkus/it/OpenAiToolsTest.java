package dev.chelsea.quarkus.it;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tools and JSON output through the OpenAI-compatible endpoint, on the random-weight "tools"
 * model (Llama 3.2 template): OpenAI's wire format (tool_calls, finish_reason, delta.tool_calls
 * pieces, tool messages, response_format), and LangChain4j's OpenAI client running an AI service
 * with a tool and a record result against it.
 */
@QuarkusTest
class OpenAiToolsTest {
    static final String WEATHER = "{\"type\":\"function\",\"function\":{\"name\":\"weather\",\"description\":\"The weather in a city\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\"}},"
            + "\"required\":[\"city\",\"days\"],\"additionalProperties\":false}}}";
    static final String CLOCK = "{\"type\":\"function\",\"function\":{\"name\":\"clock\",\"parameters\":{\"type\":\"object\","
            + "\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"properties\":{\"zone\":{\"type\":\"string\",\"format\":\"uuid\"}}}}}";
    static final String ASK = "{\"model\":\"tools\",\"messages\":[{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"}]%s}";

    @TestHTTPResource("/v1")
    URL v1;

    static ValidatableResponse post(String extra) {
        return given().contentType(ContentType.JSON).body(ASK.formatted(extra)).when().post("/v1/chat/completions").then();
    }

    @Test
    void aRequiredCallComesBackAsToolCalls() {
        JsonPath r = post(",\"tools\":[" + WEATHER + "," + CLOCK + "],\"tool_choice\":\"required\",\"seed\":1").statusCode(200)
                .body("choices[0].finish_reason", equalTo("tool_calls"))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.content", nullValue())
                .body("choices[0].message.tool_calls[0].type", equalTo("function"))
                .extract().jsonPath();
        String name = r.getString("choices[0].message.tool_calls[0].function.name");
        assertTrue(name.equals("weather") || name.equals("clock"), name);
        assertEquals(9, r.getString("choices[0].message.tool_calls[0].id").length());
        Map<String, Object> args = JsonPath.from(r.getString("choices[0].message.tool_calls[0].function.arguments")).getMap("");
        if (name.equals("weather")) {
            assertInstanceOf(String.class, args.get("city"));
            assertInstanceOf(Integer.class, args.get("days"));
            assertEquals(2, args.size());
        }
        // a named function is the one called
        post(",\"tools\":[" + WEATHER + "," + CLOCK + "],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"clock\"}}")
                .statusCode(200).body("choices[0].message.tool_calls[0].function.name", equalTo("clock"));
        post(",\"tools\":[" + WEATHER + "],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"alarm\"}}")
                .statusCode(400).body("error.param", equalTo("tool_choice"))
                .body("error.message", containsString("'alarm', which is not among the tools (weather)"));
    }

    @Test
    void streamedPiecesAreOpenAisDeltaToolCalls() {
        String body = post(",\"tools\":[" + WEATHER + "],\"tool_choice\":\"required\",\"seed\":2,\"stream\":true").statusCode(200)
                .extract().asString();
        List<String> events = Sse.data(body);
        assertEquals("[DONE]", events.getLast());
        Map<Integer, StringBuilder> arguments = new TreeMap<>();
        String finish = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonPath chunk = JsonPath.from(e);
            finish = chunk.getString("choices[0].finish_reason");
            List<Map<String, Object>> calls = chunk.getList("choices[0].delta.tool_calls");
            if (calls == null) {
                continue;
            }
            for (Map<String, Object> call : calls) {
                int index = (Integer) call.get("index");
                @SuppressWarnings("unchecked")
                Map<String, Object> function = (Map<String, Object>) call.get("function");
                if (!arguments.containsKey(index)) {
                    // the first piece of a call names it
                    assertEquals("function", call.get("type"), e);
                    assertEquals(9, String.valueOf(call.get("id")).length(), e);
                    assertEquals("weather", function.get("name"), e);
                } else {
                    assertNull(call.get("id"), "later pieces carry only the index and arguments: " + e);
                    assertNull(function.get("name"), e);
                }
                arguments.computeIfAbsent(index, k -> new StringBuilder()).append((String) function.get("arguments"));
            }
        }
        assertEquals("tool_calls", finish);
        assertFalse(arguments.isEmpty(), body);
        assertEquals(List.copyOf(arguments.keySet()), java.util.stream.IntStream.range(0, arguments.size()).boxed().toList());
        for (StringBuilder joined : arguments.values()) {
            Map<String, Object> args = JsonPath.from(joined.toString()).getMap("");
            assertEquals(List.of("city", "days"), List.copyOf(args.keySet()), joined.toString());
        }
    }

    @Test
    void toolResultsAndJsonFormatsAreAnswered() {
        String history = "{\"model\":\"tools\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"days\\\":1}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"Sunny, 22 degrees.\"}],"
                + "\"tools\":[" + WEATHER + "],\"tool_choice\":\"none\",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                + "{\"name\":\"forecast\",\"strict\":true,\"schema\":{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"},"
                + "\"temperature\":{\"type\":\"number\"}},\"required\":[\"summary\",\"temperature\"],\"additionalProperties\":false}}}}";
        String content = given().contentType(ContentType.JSON).body(history).post("/v1/chat/completions").then().statusCode(200)
                .body("choices[0].finish_reason", equalTo("stop"))
                .extract().path("choices[0].message.content");
        Map<String, Object> answer = JsonPath.from(content).getMap("");
        assertEquals(List.of("summary", "temperature"), List.copyOf(answer.keySet()), content);
        String object = post(",\"response_format\":{\"type\":\"json_object\"},\"seed\":4").statusCode(200)
                .extract().path("choices[0].message.content");
        assertNotNull(JsonPath.from(object).getMap(""), object);
        post(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":\"string\",\"pattern\":\"x\"}}}")
                .statusCode(400).body("error.param", equalTo("response_format"))
                .body("error.message", containsString("'pattern' is not supported"));
    }

    record Forecast(@JsonProperty(required = true) String city, @JsonProperty(required = true) int temperature,
                    @JsonProperty(required = true) boolean sunny, List<String> notes) {
    }

    interface Forecaster {
        Forecast forecast(String question);
    }

    static final class WeatherTools {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Tool("The weather in a city for the next days")
        String weather(@P(name = "city", value = "the city") String city, @P(name = "days", value = "how many days") int days) {
            calls.add(city + "/" + days);
            return "Sunny, 22 degrees.";
        }
    }

    @Test
    void langChain4jsOpenAiClientRunsAnAiServiceWithATool() {
        OpenAiChatModel client = OpenAiChatModel.builder().baseUrl(v1.toString()).apiKey("not-needed").modelName("tools")
                .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA).strictJsonSchema(true).strictTools(true).seed(3)
                .maxRetries(0).build();
        WeatherTools tools = new WeatherTools();
        Forecaster forecaster = AiServices.builder(Forecaster.class).chatModel(client).tools(tools)
                .chatRequestTransformer(OpenAiToolsTest::forceOneRound).build();
        Forecast f = forecaster.forecast("What is the weather in Paris this week?");
        assertFalse(tools.calls.isEmpty(), "the tool ran");
        assertNotNull(f.city(), String.valueOf(f));
    }

    @Test
    void langChain4jsStreamingClientHearsPartialAndCompleteCalls() throws Exception {
        OpenAiStreamingChatModel client = OpenAiStreamingChatModel.builder().baseUrl(v1.toString()).apiKey("not-needed")
                .modelName("tools").seed(6).build();
        List<PartialToolCall> partials = new CopyOnWriteArrayList<>();
        List<CompleteToolCall> completes = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        ChatRequest request = ChatRequest.builder().messages(dev.langchain4j.data.message.UserMessage.from("Weather in Paris?"))
                .toolSpecifications(dev.langchain4j.agent.tool.ToolSpecifications.toolSpecificationsFrom(WeatherTools.class))
                .toolChoice(ToolChoice.REQUIRED).build();
        client.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialToolCall(PartialToolCall partial) {
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
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(FinishReason.TOOL_EXECUTION, r.finishReason());
        assertEquals(r.aiMessage().toolExecutionRequests().size(), completes.size());
        var call = r.aiMessage().toolExecutionRequests().getFirst();
        assertEquals(call.arguments(), partials.stream().filter(p -> p.index() == 0).map(PartialToolCall::partialArguments)
                .reduce("", String::concat));
        assertEquals("weather", call.name());
        assertTrue(call.arguments().contains("\"city\""), call.arguments());
    }

    /** REQUIRED until a tool has answered, then NONE (LangChain4j 1.19 keeps a request's tool choice for every round). */
    static ChatRequest forceOneRound(ChatRequest r) {
        boolean answered = r.messages().getLast() instanceof ToolExecutionResultMessage;
        return r.toBuilder().parameters(r.parameters().overrideWith(ChatRequestParameters.builder()
                .toolChoice(answered ? ToolChoice.NONE : ToolChoice.REQUIRED).build())).build();
    }
}
