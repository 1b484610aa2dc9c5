package dev.chelsea.quarkus.it;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI server as a new user finds it: every defect found that way, each with its check. */
@QuarkusTest
class OpenAiServerTest {
    static final String USER = "{\"model\":\"story\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]%s}";

    private static io.restassured.response.ValidatableResponse post(String body) {
        return given().contentType(ContentType.JSON).body(body).when().post("/v1/chat/completions").then();
    }

    @Test
    void theConfiguredMaxTokensIsACeiling() {
        post(USER.formatted(",\"max_tokens\":1000000000")).statusCode(200)
                .body("usage.completion_tokens", equalTo(24))
                .body("choices[0].finish_reason", equalTo("length"));
        post(USER.formatted(",\"max_completion_tokens\":200")).statusCode(200).body("usage.completion_tokens", equalTo(24));
        post(USER.formatted(",\"max_tokens\":5")).statusCode(200).body("usage.completion_tokens", equalTo(5));
        given().contentType(ContentType.JSON).body(ChatResourceTest.conversation(",\"model\":\"story\",\"maxTokens\":200"))
                .post("/chat").then().statusCode(200).body("usage.completionTokens", equalTo(24));
    }

    @Test
    void parametersTheModelCannotHonourAreRefusedByName() {
        Map<String, String> refused = Map.of(
                "logprobs", "\"logprobs\":true",
                "top_logprobs", "\"top_logprobs\":3",
                "logit_bias", "\"logit_bias\":{\"50256\":-100}",
                "functions", "\"functions\":[{\"name\":\"clock\",\"parameters\":{\"type\":\"object\"}}]",
                "function_call", "\"function_call\":\"auto\"",
                "tool_choice", "\"tool_choice\":\"auto\"",
                "modalities", "\"modalities\":[\"text\",\"audio\"]",
                "response_format", "\"response_format\":{\"type\":\"json_object\"}",
                "frequency_penalty", "\"frequency_penalty\":0.5",
                "n", "\"n\":2");
        refused.forEach((param, json) -> post(USER.formatted("," + json)).statusCode(400)
                .body("error.param", equalTo(param))
                .body("error.type", equalTo("invalid_request_error")));
        post(USER.formatted(",\"logprobs\":false,\"modalities\":[\"text\"],\"response_format\":{\"type\":\"text\"},\"user\":\"u1\""))
                .statusCode(200);
        post(USER.formatted(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"clock\",\"parameters\":{\"type\":\"object\","
                + "\"properties\":{\"zone\":{\"type\":\"string\"}}}}}],\"tool_choice\":\"required\""))
                .statusCode(400).body("error.param", equalTo("tools")).body("error.code", equalTo("unsupported_parameter"));
    }

    @Test
    void idsAndTimesLookLikeOpenAis() {
        String id = post(USER.formatted("")).statusCode(200).body("id", startsWith("chatcmpl-"))
                .body("created", greaterThan(1_700_000_000)).extract().path("id");
        String body = post(USER.formatted(",\"stream\":true")).statusCode(200).extract().asString();
        List<String> events = Sse.data(body);
        String streamId = JsonPath.from(events.getFirst()).getString("id");
        assertTrue(streamId.startsWith("chatcmpl-"), streamId);
        assertFalse(streamId.equals(id));
        for (String e : events.subList(0, events.size() - 1)) {
            assertEquals(streamId, JsonPath.from(e).getString("id"), "one id per stream");
        }
        given().get("/v1/models").then().statusCode(200)
                .body("data.created", org.hamcrest.Matchers.everyItem(greaterThan(1_000_000_000)))
                .body("data.owned_by", org.hamcrest.Matchers.everyItem(equalTo("chelsea")));
    }

    @Test
    void aModelCanBeRetrievedByItsId() {
        given().get("/v1/models/story").then().statusCode(200)
                .body("id", equalTo("story")).body("object", equalTo("model"));
        given().get("/v1/models/default").then().statusCode(200).body("id", equalTo("default"));
        given().get("/v1/models/gpt-4o").then().statusCode(404)
                .body("error.code", equalTo("model_not_found")).body("error.param", equalTo("model"))
                .body("error.message", containsString("available: default, story"));
    }

    @Test
    void wrongTypesAreRefusedInJsonTerms() {
        Map<String, String> cases = Map.of(
                "{\"messages\":\"hello\"}", "messages must be an array",
                USER.formatted(",\"max_tokens\":3.5"), "max_tokens must be an integer",
                USER.formatted(",\"max_tokens\":\"10\""), "max_tokens must be an integer",
                USER.formatted(",\"temperature\":\"hot\""), "temperature must be a number",
                USER.formatted(",\"stream\":\"yes\""), "stream must be true or false",
                "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content must be a string or an array of content parts",
                USER.formatted(",\"stop\":5"), "stop must be a string or an array of strings",
                "{\"model\":5,\"messages\":[]}", "model must be a string");
        cases.forEach((body, message) -> {
            String m = post(body).statusCode(400).body("error.message", containsString(message)).extract().path("error.message");
            assertFalse(m.contains("java.") || m.contains("dev.chelsea") || m.contains("JsonNode") || m.contains("`"), m);
        });
        post(USER.formatted(",\"max_tokens\":3.5")).statusCode(400).body("error.param", equalTo("max_tokens"));
        post("{\"messages\": [").statusCode(400).body("error.message", containsString("not valid JSON"));
    }

    @Test
    void onlyJsonBodiesAreRead() {
        given().contentType(ContentType.TEXT).body(USER.formatted("")).when().post("/v1/chat/completions")
                .then().statusCode(415).contentType(ContentType.JSON)
                .body("error.message", containsString("Content-Type: application/json"));
        given().when().get("/v1/chat/completions").then().statusCode(405).header("Allow", "POST")
                .body("error.code", equalTo("method_not_allowed"));
        given().contentType(ContentType.TEXT).body("{}").when().post("/chat")
                .then().statusCode(415).body("error.message", containsString("Content-Type: application/json"));
    }

    @Test
    void theDeveloperRoleIsAcceptedAndListed() {
        post("{\"model\":\"story\",\"max_tokens\":3,\"messages\":[{\"role\":\"developer\",\"content\":\"Once upon a time\"},"
                + "{\"role\":\"user\",\"content\":\"there was\"}]}").statusCode(200);
        post("{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}").statusCode(400)
                .body("error.param", equalTo("messages[0].role"))
                .body("error.message", containsString("developer"));
        given().contentType(ContentType.JSON).body("{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}").post("/chat")
                .then().statusCode(400).body("error.message", containsString("developer"));
    }

    @Test
    void aHugeBodyIsA413WithTheErrorJson() {
        String big = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(10 * 1024 * 1024) + "\"}]}";
        post(big).statusCode(413).contentType(ContentType.JSON)
                .body("error.code", equalTo("request_too_large"))
                .body("error.message", containsString("max-request-size"));
        String fiveMb = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(5 * 1024 * 1024) + "\"}]}";
        post(fiveMb).statusCode(413).body("error.code", equalTo("request_too_large"));
    }

    @Test
    void theSimpleStreamNamesItsEvents() {
        String body = given().contentType(ContentType.JSON).accept("text/event-stream")
                .body(ChatResourceTest.conversation(",\"model\":\"story\",\"maxTokens\":3"))
                .post("/chat/stream").then().statusCode(200).extract().asString();
        List<String> names = body.lines().filter(l -> l.startsWith("event:")).map(l -> l.substring(6).trim()).toList();
        assertEquals(List.of("token", "token", "token", "done"), names.subList(names.size() - 4, names.size()));
        assertTrue(names.stream().limit(names.size() - 1).allMatch("token"::equals), names.toString());
    }

    @Test
    void metricsTagEachModelOneWayAndCountCancellations() {
        post("{\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}").statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("chelsea_requests_total{model=\"<default>\",outcome=\"success\",stop_reason=\"max_tokens\"}"), metrics);
        assertTrue(metrics.contains("chelsea_queue_waiting{model=\"<default>\"}"), metrics);
        assertTrue(metrics.contains("chelsea_tokens_generated_total{model=\"<default>\"}"), metrics);
        assertFalse(metrics.contains("model=\"llama\""), "the file's own name is not a tag");
    }

    @Test
    void theOpenApiDocumentHasRealSchemas() {
        JsonPath doc = given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200).extract().jsonPath();
        Map<String, Object> ok = doc.getMap("paths.'/v1/chat/completions'.post.responses.'200'.content");
        assertTrue(ok.containsKey("application/json") && ok.containsKey("text/event-stream"), ok.toString());
        assertEquals("#/components/schemas/ChatCompletion", doc.getString("paths.'/v1/chat/completions'.post.responses.'200'.content."
                + "'application/json'.schema.$ref"));
        assertEquals("#/components/schemas/ChatCompletionChunk", doc.getString("paths.'/v1/chat/completions'.post.responses.'200'"
                + ".content.'text/event-stream'.schema.$ref"));
        for (String status : new String[]{"400", "401", "404", "413", "415", "503"}) {
            assertEquals("#/components/schemas/OpenAiError", doc.getString("paths.'/v1/chat/completions'.post.responses.'" + status
                    + "'.content.'application/json'.schema.$ref"), status);
        }
        String schemas = doc.getString("components.schemas");
        assertFalse(schemas.contains("JsonNode"), schemas);
        assertEquals(2, doc.getList("components.schemas.ChatCompletionStop.oneOf").size());
        assertEquals(2, doc.getList("components.schemas.ChatCompletionMessageContent.oneOf").size());
        assertTrue(doc.getMap("paths").containsKey("/v1/models/{id}"));
        Map<String, Object> stream = doc.getMap("paths.'/chat/stream'.post.responses");
        assertTrue(stream.keySet().containsAll(List.of("200", "400", "503")), stream.toString());
        assertEquals("#/components/schemas/ChatEvent", doc.getString("paths.'/chat/stream'.post.responses.'200'.content."
                + "'text/event-stream'.schema.$ref"));
    }

    @Test
    void swaggerUiIsServed() {
        given().get("/q/swagger-ui/").then().statusCode(200).body(containsString("swagger"), not(containsString("404")));
    }
}
