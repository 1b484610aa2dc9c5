package dev.chelsea.quarkus.it;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /v1/chat/completions in OpenAI's wire format, plain and streamed. */
@QuarkusTest
class OpenAiEndpointTest {
    static final String REQUEST = "{\"model\":\"story\",\"messages\":[{\"role\":\"system\",\"content\":\"\"},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Once upon a time\"}]}]%s}";

    @Test
    void completesAChat() {
        given().contentType(ContentType.JSON).body(REQUEST.formatted(",\"max_tokens\":10"))
                .when().post("/v1/chat/completions")
                .then().statusCode(200).contentType(ContentType.JSON)
                .body("object", equalTo("chat.completion"))
                .body("model", equalTo("story"))
                .body("id", startsWith("chatcmpl-"))
                .body("choices[0].index", equalTo(0))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.content", startsWith(", there was a little girl"))
                .body("choices[0].finish_reason", equalTo("length"))
                .body("usage.prompt_tokens", equalTo(5))
                .body("usage.completion_tokens", equalTo(10))
                .body("usage.total_tokens", equalTo(15));
    }

    @Test
    void streamsChunksEndingWithDone() {
        String plain = given().contentType(ContentType.JSON).body(REQUEST.formatted(""))
                .post("/v1/chat/completions").then().statusCode(200).extract().path("choices[0].message.content");
        String body = given().contentType(ContentType.JSON)
                .body(REQUEST.formatted(",\"stream\":true,\"stream_options\":{\"include_usage\":true}"))
                .when().post("/v1/chat/completions")
                .then().statusCode(200).contentType(containsString("text/event-stream"))
                .extract().asString();
        assertTrue(body.contains("data: {"), "OpenAI writes 'data: ' with a space: " + body);
        List<String> events = Sse.data(body);
        assertEquals("[DONE]", events.getLast());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (int i = 0; i < events.size() - 2; i++) {
            JsonPath chunk = JsonPath.from(events.get(i));
            assertEquals("chat.completion.chunk", chunk.getString("object"));
            assertEquals("story", chunk.getString("model"));
            if (i == 0) {
                assertEquals("assistant", chunk.getString("choices[0].delta.role"));
            }
            String piece = chunk.getString("choices[0].delta.content");
            text.append(piece == null ? "" : piece);
            finish = chunk.getString("choices[0].finish_reason");
            if (i < events.size() - 3) {
                assertNull(finish, "only the last chunk has a finish reason");
            }
        }
        assertEquals("length", finish);
        assertEquals(plain, text.toString());
        JsonPath usage = JsonPath.from(events.get(events.size() - 2));
        assertEquals(0, usage.getList("choices").size());
        assertEquals(24, usage.getInt("usage.completion_tokens"));
    }

    @Test
    void refusesWhatALocalModelCannotDo() {
        given().contentType(ContentType.JSON)
                .body(REQUEST.formatted(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"clock\"}}]"))
                .when().post("/v1/chat/completions")
                .then().statusCode(400)
                .body("error.param", equalTo("tools"))
                .body("error.message", containsString("tools are not supported"));
        given().contentType(ContentType.JSON).body(REQUEST.formatted(",\"n\":3"))
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("n"));
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"story\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}")
                .when().post("/v1/chat/completions")
                .then().statusCode(400)
                .body("error.param", equalTo("messages[0].content"))
                .body("error.message", containsString("read text only"));
    }

    @Test
    void unknownModelsAndBadValuesAreClientErrors() {
        given().contentType(ContentType.JSON).body(REQUEST.replace("\"story\"", "\"gpt-4o\"").formatted(""))
                .when().post("/v1/chat/completions")
                .then().statusCode(404)
                .body("error.param", equalTo("model"));
        given().contentType(ContentType.JSON).body(REQUEST.formatted(",\"temperature\":3"))
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("temperature"));
        given().contentType(ContentType.JSON).body(REQUEST.formatted(",\"stream\":true,\"max_tokens\":0"))
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("max_tokens"));
    }

    @Test
    void listsTheModels() {
        given().when().get("/v1/models")
                .then().statusCode(200)
                .body("object", equalTo("list"))
                .body("data.id", org.hamcrest.Matchers.contains("default", "story"));
    }
}
