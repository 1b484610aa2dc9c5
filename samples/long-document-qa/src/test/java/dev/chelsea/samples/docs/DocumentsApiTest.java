package dev.chelsea.samples.docs;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP API on the tiny model: registering, listing, asking (whole and by retrieval, plain and streamed), deleting, errors. */
@QuarkusTest
@QuarkusTestResource(CleanDataDir.class)
class DocumentsApiTest {

    static String register(String title, String text) {
        return given().contentType(ContentType.JSON).body(Map.of("title", title, "text", text))
                .when().post("/documents")
                .then().statusCode(201).header("Location", containsString("/documents/"))
                .extract().path("id");
    }

    static JsonPath ask(String id, String question) {
        return given().contentType(ContentType.JSON).body(Map.of("question", question))
                .when().post("/documents/" + id + "/ask")
                .then().statusCode(200).extract().jsonPath();
    }

    /** The JSON events of a streamed answer. */
    static List<JsonPath> stream(String id, String question) {
        String body = given().contentType(ContentType.JSON).accept("text/event-stream").body(Map.of("question", question))
                .when().post("/documents/" + id + "/ask/stream")
                .then().statusCode(200).contentType(containsString("text/event-stream")).extract().asString();
        List<JsonPath> events = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data:")) {
                events.add(new JsonPath(line.substring(5)));
            }
        }
        return events;
    }

    @Test
    void theStartupFolderIsRegistered() {
        given().when().get("/documents").then().statusCode(200)
                .body("id", hasItem("lily-and-the-ball"))
                .body("find { it.id == 'lily-and-the-ball' }.mode", equalTo("whole"))
                .body("find { it.id == 'lily-and-the-ball' }.source", equalTo("folder:lily-and-the-ball.txt"));
    }

    @Test
    void aWholeDocumentIsReadOnceAndLaterQuestionsComeFromThePromptCache() {
        String id = register(TestDocuments.SHORT_TITLE, TestDocuments.SHORT);
        given().when().get("/documents/" + id).then().statusCode(200)
                .body("title", equalTo(TestDocuments.SHORT_TITLE)).body("mode", equalTo("whole")).body("tokens", greaterThan(20));
        JsonPath first = ask(id, "What color was the kite?");
        assertFalse(first.getString("answer").isBlank());
        assertEquals("whole", first.getString("mode"));
        assertEquals(0, first.getInt("usage.cachedTokens"), "the first question reads the document");
        JsonPath second = ask(id, "Who gave the kite back?");
        int prompt = second.getInt("usage.promptTokens"), cached = second.getInt("usage.cachedTokens");
        assertTrue(cached > 40 && cached < prompt, "the second question reads only its own tokens: " + cached + " of " + prompt + " cached");
        assertEquals(List.of(), second.getList("sources"));
    }

    @Test
    void aStreamedAnswerIsJsonEventsEndingWithDone() {
        List<JsonPath> events = stream("lily-and-the-ball", "Who found the stick?");
        JsonPath last = events.getLast();
        assertEquals("done", last.getString("type"));
        assertTrue(last.getInt("usage.answerTokens") > 0);
        StringBuilder text = new StringBuilder();
        for (JsonPath e : events.subList(0, events.size() - 1)) {
            assertEquals("token", e.getString("type"), "whole mode sends no sources");
            text.append(e.getString("text"));
        }
        assertFalse(text.toString().isBlank());
    }

    @Test
    void aLongDocumentIsAnsweredFromItsMostSimilarChunks() throws Exception {
        String id = register(TestDocuments.LONG_TITLE, TestDocuments.longText());
        given().when().get("/documents/" + id).then().body("mode", equalTo("retrieval")).body("chunks", greaterThan(5));
        JsonPath answer = ask(id, "What does the baker Rosa bake on Sunday?");
        assertEquals("retrieval", answer.getString("mode"));
        List<Map<String, Object>> sources = answer.getList("sources");
        assertEquals(2, sources.size(), "docs.retrieval.max-results in the test profile");
        assertTrue(((String) sources.getFirst().get("text")).contains("Rosa"), "the most similar chunk is the baker's: " + sources);
        List<JsonPath> events = stream(id, "Who is the baker?");
        assertEquals("sources", events.getFirst().getString("type"));
        assertEquals("done", events.getLast().getString("type"));
        String stored = Files.readString(CleanDataDir.DIR.resolve("embeddings.json"));
        assertTrue(stored.contains(id), "the chunks are in the embedded store's file");
    }

    @Test
    void uploadsOfTextFilesAreRegisteredAndOthersRefused(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path md = dir.resolve("notes.md");
        Files.writeString(md, "# Garden notes\n\nThe tomatoes need water every evening.\n");
        given().multiPart("file", md.toFile(), "text/markdown").when().post("/documents")
                .then().statusCode(201).body("title", equalTo("Garden notes")).body("source", equalTo("upload:notes.md"));
        Path titled = dir.resolve("plain.txt");
        Files.writeString(titled, "Some plain words.");
        given().multiPart("file", titled.toFile(), "text/plain").multiPart("title", "My title").when().post("/documents")
                .then().statusCode(201).body("title", equalTo("My title"));
        Path png = dir.resolve("image.txt");
        Files.write(png, new byte[]{(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13, (byte) 0xff, (byte) 0xfe});
        given().multiPart("file", png.toFile(), "text/plain").when().post("/documents")
                .then().statusCode(415).body("message", containsString("not UTF-8 text"));
        Path pdf = dir.resolve("paper.pdf");
        Files.writeString(pdf, "%PDF-1.4");
        given().multiPart("file", pdf.toFile(), "application/pdf").when().post("/documents")
                .then().statusCode(415).body("message", containsString("not a .txt or .md file"));
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "  \n");
        given().multiPart("file", empty.toFile(), "text/plain").when().post("/documents")
                .then().statusCode(400).body("message", containsString("no text"));
    }

    @Test
    void badRequestsGetClearErrors() {
        given().contentType(ContentType.JSON).body(Map.of("title", "x", "text", " ")).when().post("/documents")
                .then().statusCode(400).body("status", equalTo(400)).body("message", containsString("no text"));
        given().contentType(ContentType.JSON).body("{\"text\": ").when().post("/documents")
                .then().statusCode(400).body("message", containsString("not valid JSON"));
        given().contentType(ContentType.TEXT).body("hello").when().post("/documents")
                .then().statusCode(415).body("message", containsString("application/json"));
        given().contentType(ContentType.JSON).body(Map.of("text", "x".repeat(300 * 1024))).when().post("/documents")
                .then().statusCode(413).body("message", containsString("docs.max-document-size"));
        given().when().get("/documents/missing").then().statusCode(404).body("message", containsString("no document 'missing'"));
        given().contentType(ContentType.JSON).body(Map.of("question", "Why?")).when().post("/documents/missing/ask")
                .then().statusCode(404);
        given().contentType(ContentType.JSON).body(Map.of("question", "  ")).when().post("/documents/lily-and-the-ball/ask")
                .then().statusCode(400).body("message", containsString("question is empty"));
        given().contentType(ContentType.JSON).body("{}").when().post("/documents/lily-and-the-ball/ask/stream")
                .then().statusCode(400).contentType(ContentType.JSON).body("message", containsString("question is empty"));
        given().contentType(ContentType.JSON).body(Map.of("question", "why ".repeat(600))).when().post("/documents/lily-and-the-ball/ask")
                .then().statusCode(400).body("message", containsString("docs.max-question-length"));
        given().when().put("/documents/lily-and-the-ball").then().statusCode(405).body("status", equalTo(405));
    }

    @Test
    void aDeletedDocumentAndItsChunksAreGone() throws Exception {
        String id = register("To delete", TestDocuments.longText().replace("Oakfield", "Elmwood"));
        assertTrue(Files.readString(CleanDataDir.DIR.resolve("embeddings.json")).contains(id));
        given().when().delete("/documents/" + id).then().statusCode(204);
        given().when().get("/documents/" + id).then().statusCode(404);
        given().when().delete("/documents/" + id).then().statusCode(404);
        given().when().get("/documents").then().body("id", not(hasItem(id)));
        assertFalse(Files.readString(CleanDataDir.DIR.resolve("embeddings.json")).contains(id));
        assertFalse(Files.exists(CleanDataDir.DIR.resolve("documents").resolve(id + ".json")));
    }

    @Test
    void theApiIsDocumentedAndThePageServed() {
        given().when().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths.'/documents/{id}/ask/stream'.post.responses.'200'.content.'text/event-stream'.schema", notNullValue())
                .body("components.schemas.AskEvent", notNullValue())
                .body("paths.'/documents'.post.requestBody.content", notNullValue());
        given().when().get("/q/swagger-ui/").then().statusCode(200);
        given().when().get("/").then().statusCode(200).body(containsString("Long-document Q&amp;A"));
        given().when().get("/app.js").then().statusCode(200);
    }

    @Test
    void openAiClientsReachTheSameModel() {
        given().when().get("/v1/models").then().statusCode(200).body("data.id", hasItem("default"));
        given().contentType(ContentType.JSON)
                .body(Map.of("model", "default", "max_tokens", 5, "messages", List.of(Map.of("role", "user", "content", "Once upon a time"))))
                .when().post("/v1/chat/completions").then().statusCode(200).body("choices[0].message.content", notNullValue());
    }

    @Test
    void thePromptCacheIsInTheMetrics() {
        String id = register("Metrics", TestDocuments.SHORT.replace("Tom", "Sam"));
        ask(id, "What color was the kite?");
        ask(id, "Who gave it back?");
        Response metrics = given().when().get("/q/metrics");
        String text = metrics.asString();
        assertTrue(text.contains("chelsea_prompt_cache_lookups_total{model=\"<default>\",result=\"hit\"}"), text);
        assertTrue(text.contains("chelsea_prompt_cache_bytes{model=\"<default>\"}"), text);
        assertTrue(text.contains("chelsea_tokens_cached_total{model=\"<default>\"}"), text);
        assertTrue(new String(metrics.asByteArray(), StandardCharsets.UTF_8).contains("chelsea_prompt_cache_evictions_total"));
    }
}
