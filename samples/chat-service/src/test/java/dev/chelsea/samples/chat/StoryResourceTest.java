package dev.chelsea.samples.chat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.emptyString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class StoryResourceTest {
    @Test
    void continuesAStory() {
        given().contentType(ContentType.TEXT).body("there was a little dog")
                .when().post("/story")
                .then().statusCode(200).body(not(emptyString()));
        given().contentType(ContentType.TEXT).body(" ")
                .when().post("/story")
                .then().statusCode(400);
    }

    /** JSON events keep every character: the pieces, read as any SSE client reads them, rebuild the story exactly. */
    @Test
    void theStreamIsLossless() {
        String story = given().contentType(ContentType.TEXT).body("there was a little dog").post("/story")
                .then().statusCode(200).extract().asString();
        String body = given().contentType(ContentType.TEXT).accept("text/event-stream").body("there was a little dog")
                .post("/story/stream").then().statusCode(200).extract().asString();
        // A standard SSE parser: "data:" then one optional space is dropped.
        List<String> data = body.lines().filter(l -> l.startsWith("data:"))
                .map(l -> l.substring(5)).map(d -> d.startsWith(" ") ? d.substring(1) : d).toList();
        StringBuilder text = new StringBuilder();
        for (String d : data.subList(0, data.size() - 1)) {
            String piece = JsonPath.from(d).getString("text");
            text.append(piece);
        }
        assertTrue(data.stream().anyMatch(d -> JsonPath.from(d).getString("text") != null
                && JsonPath.from(d).getString("text").startsWith(" ")), "some pieces start with a space: " + data);
        assertEquals(story, text.toString());
        assertEquals("length", JsonPath.from(data.getLast()).getString("finishReason"));
    }
}
