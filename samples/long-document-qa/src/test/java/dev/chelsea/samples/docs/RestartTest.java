package dev.chelsea.samples.docs;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A restart keeps everything: the application started again on the data that {@link DocumentsApiTest}
 * left. Quarkus runs the tests without a profile first; this one's profile makes it stop that
 * application (which writes the prompt cache) and start a new one.
 */
@QuarkusTest
@TestProfile(RestartTest.Again.class)
class RestartTest {

    /** The test configuration, as a separate profile so that the application restarts. */
    public static class Again implements QuarkusTestProfile {
    }

    @Test
    void documentsChunksAndThePromptCacheSurviveARestart() {
        List<Map<String, Object>> docs = given().when().get("/documents").then().statusCode(200).extract().jsonPath().getList("$");
        Map<String, Object> whole = docs.stream().filter(d -> TestDocuments.SHORT_TITLE.equals(d.get("title"))).findFirst().orElseThrow();
        Map<String, Object> longDoc = docs.stream().filter(d -> TestDocuments.LONG_TITLE.equals(d.get("title"))).findFirst().orElseThrow();
        JsonPath first = given().contentType(ContentType.JSON).body(Map.of("question", "Where did the kite land?"))
                .when().post("/documents/" + whole.get("id") + "/ask").then().statusCode(200).extract().jsonPath();
        assertTrue(first.getInt("usage.cachedTokens") > 40, "the document's KV cache came from the prompt cache file");
        JsonPath retrieved = given().contentType(ContentType.JSON).body(Map.of("question", "What does Rosa bake?"))
                .when().post("/documents/" + longDoc.get("id") + "/ask").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> sources = retrieved.getList("sources");
        assertEquals(2, sources.size());
        assertFalse(sources.stream().noneMatch(s -> ((String) s.get("text")).contains("Rosa")), "the chunks came back from embeddings.json");
    }
}
