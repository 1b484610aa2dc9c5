package dev.chelsea.quarkus.it;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.startsWith;

/** POST /chat on the tiny story model: a round trip, and 400s with a clear JSON body for bad input. */
@QuarkusTest
class ChatResourceTest {
    static final String GREEDY_START = ", there was a little girl named Lily.";

    static String conversation(String extra) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]" + extra + "}";
    }

    @Test
    void answersAConversationWithUsage() {
        given().contentType(ContentType.JSON).body(conversation(",\"model\":\"story\""))
                .when().post("/chat")
                .then().statusCode(200)
                .body("answer", startsWith(GREEDY_START))
                .body("model", equalTo("story"))
                .body("finishReason", equalTo("length"))
                .body("usage.promptTokens", equalTo(5))
                .body("usage.completionTokens", equalTo(24))
                .body("usage.totalTokens", equalTo(29));
    }

    @Test
    void requestSettingsOverrideTheConfiguredOnes() {
        given().contentType(ContentType.JSON)
                .body(conversation(",\"temperature\":0,\"maxTokens\":100,\"stop\":[\"Lily\"]"))
                .when().post("/chat")
                .then().statusCode(200)
                .body("answer", equalTo(", there was a little girl named "))
                .body("model", equalTo("default"))
                .body("finishReason", equalTo("stop"));
    }

    @Test
    void emptyMessagesAreRefused() {
        given().contentType(ContentType.JSON).body("{\"messages\":[]}")
                .when().post("/chat")
                .then().statusCode(400)
                .body("error.message", containsString("messages must not be empty"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("messages"));
    }

    @Test
    void negativeMaxTokensAreRefused() {
        given().contentType(ContentType.JSON).body(conversation(",\"maxTokens\":-5"))
                .when().post("/chat")
                .then().statusCode(400)
                .body("error.message", containsString("max tokens must be at least 1, got -5"))
                .body("error.param", equalTo("maxTokens"));
    }

    @Test
    void unknownRolesAreRefused() {
        given().contentType(ContentType.JSON).body("{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}")
                .when().post("/chat")
                .then().statusCode(400)
                .body("error.message", containsString("unknown role 'wizard' in messages[0]"))
                .body("error.param", equalTo("messages[0].role"));
    }

    @Test
    void promptsLongerThanTheContextAreRefused() {
        String longText = "Once upon a time ".repeat(200);
        given().contentType(ContentType.JSON).body("{\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}")
                .when().post("/chat")
                .then().statusCode(400)
                .body("error.message", containsString("the model's context holds 512"))
                .body("error.param", equalTo("messages"));
    }

    @Test
    void malformedJsonIsRefused() {
        given().contentType(ContentType.JSON).body("{\"messages\": [")
                .when().post("/chat")
                .then().statusCode(400)
                .body("error.message", containsString("not valid JSON"));
    }

    @Test
    void wrongTypesAreNamedWithoutJavaTypes() {
        String m = given().contentType(ContentType.JSON).body("{\"messages\":\"hello\"}")
                .when().post("/chat")
                .then().statusCode(400)
                .body("error.param", equalTo("messages"))
                .extract().path("error.message");
        org.junit.jupiter.api.Assertions.assertFalse(m.contains("java.") || m.contains("dev.chelsea"), m);
    }

    @Test
    void unknownModelsAreNotFound() {
        given().contentType(ContentType.JSON).body(conversation(",\"model\":\"gpt-7\""))
                .when().post("/chat")
                .then().statusCode(404)
                .body("error.message", containsString("unknown model 'gpt-7' (available: default, story)"));
    }

    @Test
    void streamsTheSameAnswerAsServerSentEvents() {
        String expected = given().contentType(ContentType.JSON).body(conversation(",\"model\":\"story\""))
                .post("/chat").then().statusCode(200).extract().path("answer");
        String body = given().contentType(ContentType.JSON).accept("text/event-stream").body(conversation(",\"model\":\"story\""))
                .when().post("/chat/stream")
                .then().statusCode(200).contentType(containsString("text/event-stream"))
                .extract().asString();
        var events = Sse.data(body);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < events.size() - 1; i++) {
            io.restassured.path.json.JsonPath e = io.restassured.path.json.JsonPath.from(events.get(i));
            org.junit.jupiter.api.Assertions.assertEquals("token", e.getString("type"), events.get(i));
            text.append(e.getString("text"));
        }
        org.junit.jupiter.api.Assertions.assertEquals(expected, text.toString());
        io.restassured.path.json.JsonPath last = io.restassured.path.json.JsonPath.from(events.getLast());
        org.junit.jupiter.api.Assertions.assertEquals("done", last.getString("type"));
        org.junit.jupiter.api.Assertions.assertEquals("length", last.getString("finishReason"));
        org.junit.jupiter.api.Assertions.assertEquals(24, last.getInt("usage.completionTokens"));
    }

    @Test
    void aStreamOfBadInputIsA400NotABrokenStream() {
        given().contentType(ContentType.JSON).accept("text/event-stream")
                .body("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "Once upon a time ".repeat(200) + "\"}]}")
                .when().post("/chat/stream")
                .then().statusCode(400)
                .body("error.param", equalTo("messages"));
    }

    @Test
    void theOpenApiDocumentListsTheEndpoints() {
        given().accept("application/json").when().get("/q/openapi?format=json")
                .then().statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/chat"))
                .body("paths", org.hamcrest.Matchers.hasKey("/chat/stream"))
                .body("paths", org.hamcrest.Matchers.hasKey("/v1/chat/completions"))
                .body("paths.'/chat'.post.responses", org.hamcrest.Matchers.hasKey("400"));
    }

    @Test
    void readinessReportsTheLoadedModels() {
        given().when().get("/q/health/ready")
                .then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'Chelsea models' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'Chelsea models' }.data.story", containsString("stories260K.gguf"))
                .body("checks.find { it.name == 'Chelsea models' }.data.'<default>'", containsString("context 512"));
    }

    @Test
    void metricsCountTokensSpeedAndKvCache() {
        given().contentType(ContentType.JSON).body(conversation(",\"model\":\"story\"")).post("/chat").then().statusCode(200);
        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String name : new String[]{"chelsea_tokens_generated_total{model=\"story\"}", "chelsea_tokens_prompt_total{model=\"story\"}",
                "chelsea_prefill_tokens_per_second_count{model=\"story\"}", "chelsea_decode_tokens_per_second_max{model=\"story\"}",
                "chelsea_kv_bytes_max{model=\"story\"}", "chelsea_kv_saved_bytes_count{model=\"story\"}",
                "chelsea_kv_saved_ratio{model=\"story\"}", "chelsea_queue_waiting{model=\"story\"}",
                "chelsea_requests_total{model=\"story\",outcome=\"success\",stop_reason=\"max_tokens\"}"}) {
            String line = metrics.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + name + " in\n" + metrics));
            if (name.contains("generated") || name.contains("prompt") || name.contains("kv_bytes")) {
                org.hamcrest.MatcherAssert.assertThat(line, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), greaterThan(0.0));
            }
        }
    }
}
