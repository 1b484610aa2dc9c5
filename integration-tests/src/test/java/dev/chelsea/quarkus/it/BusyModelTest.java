package dev.chelsea.quarkus.it;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** A model with one slot and no waiting room answers 503 with Retry-After while it is busy. */
@QuarkusTest
@TestProfile(BusyModelTest.OneSlot.class)
class BusyModelTest {
    public static class OneSlot implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // A longer context keeps the first request generating for a few seconds (and loads the file a second time).
            return Map.of("quarkus.langchain4j.chelsea.\"story\".chat-model.max-concurrent-requests", "1",
                    "quarkus.langchain4j.chelsea.\"story\".chat-model.max-queued-requests", "0",
                    "quarkus.langchain4j.chelsea.\"story\".chat-model.context-length", "2048",
                    "quarkus.langchain4j.chelsea.\"story\".chat-model.max-tokens", "2000");
        }
    }

    @TestHTTPResource("/chat/stream")
    URI stream;

    @Test
    void aBusyModelRefusesWithServiceUnavailable() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String body = "{\"model\":\"story\",\"maxTokens\":1900,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}";
        HttpResponse<InputStream> running = http.send(HttpRequest.newBuilder(stream).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = running.body()) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null && !line.startsWith("data:")) {
                // wait until the first request is generating
            }
            given().contentType(ContentType.JSON).body(body.replace("1900", "5"))
                    .when().post("/chat")
                    .then().statusCode(503)
                    .header("Retry-After", "1")
                    .body("error.type", equalTo("server_busy"))
                    .body("error.message", containsString("model 'story' is busy: 1 requests running and 0 waiting"));
        }
        http.close();
    }
}
