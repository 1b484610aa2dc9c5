package dev.chelsea.quarkus.it;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that leaves a stream stops the generation: the request ends as cancelled long before
 * its 480 tokens, on both streaming endpoints.
 */
@QuarkusTest
@TestProfile(ClientDisconnectTest.LongAnswers.class)
class ClientDisconnectTest {
    private static final String CANCELLED = "chelsea_requests_total{model=\"story\",outcome=\"cancelled\",stop_reason=\"cancelled\"}";

    /** Answers long enough to leave in the middle of (max-tokens is a ceiling for requests). */
    public static class LongAnswers implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.langchain4j.chelsea.\"story\".chat-model.max-tokens", "480");
        }
    }

    @TestHTTPResource("/")
    URI root;

    @Test
    void leavingTheSseStreamCancelsTheGeneration() throws Exception {
        leaveAfterFirstEvent("chat/stream", "{\"model\":\"story\",\"maxTokens\":480,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}");
    }

    @Test
    void leavingTheOpenAiStreamCancelsTheGeneration() throws Exception {
        leaveAfterFirstEvent("v1/chat/completions", "{\"model\":\"story\",\"stream\":true,\"max_tokens\":480,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}");
    }

    private void leaveAfterFirstEvent(String path, String body) throws Exception {
        double before = cancelled();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(root.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        try (InputStream in = r.body()) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null && !line.startsWith("data:")) {
                // skip to the first event
            }
            assertTrue(line != null && line.startsWith("data:"), "a first event arrives");
        }
        http.close();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (cancelled() == before && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(before + 1, cancelled(), "the generation ended as cancelled");
    }

    private static double cancelled() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith(CANCELLED + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(0.0);
    }
}
