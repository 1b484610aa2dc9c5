package dev.chelsea.quarkus.it;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
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
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Time limits over HTTP: "story" has a configured limit of 3 s (after a
 * warm-up: cold, a fresh service took over 3 s to its first token on a loaded machine), the default model none but
 * OpenAI clients send theirs ({@code X-Stainless-Timeout}). "story" answers up to 8000 tokens over an
 * 8192-token context, the default model 4000 over 4096 (seconds of work either way: stories260K does a
 * few hundred to a thousand tokens a second at those depths; 4000 tokens took under 3 s once decode
 * attention got faster, so "story" reads twice as far).
 */
@QuarkusTest
@TestProfile(TimeLimitTest.Limits.class)
class TimeLimitTest {
    public static class Limits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.langchain4j.chelsea.\"story\".chat-model.timeout", "3s",
                    "quarkus.langchain4j.chelsea.\"story\".chat-model.context-length", "8192",
                    "quarkus.langchain4j.chelsea.\"story\".chat-model.max-tokens", "8000",
                    "quarkus.langchain4j.chelsea.chat-model.context-length", "4096",
                    "quarkus.langchain4j.chelsea.chat-model.max-tokens", "4000",
                    "quarkus.langchain4j.chelsea.chat-model.max-concurrent-requests", "1",
                    "quarkus.langchain4j.chelsea.kv-memory.budget", "256M");
        }
    }

    private static final String DEADLINE = "chelsea_requests_total{model=\"story\",outcome=\"timeout\",stop_reason=\"deadline\"}";

    @TestHTTPResource("/v1/chat/completions")
    URI completions;

    private static String body(String model, boolean stream, int maxTokens) {
        return "{\"model\":\"" + model + "\"," + (stream ? "\"stream\":true," : "") + "\"max_tokens\":" + maxTokens
                + ",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}";
    }

    @Test
    void aStreamPastTheConfiguredLimitEndsWithTheTextSoFarAndFinishReasonLength() {
        // the same code on the model without a limit, so that the limit is not spent compiling
        given().contentType(ContentType.JSON).body(body("default", false, 200)).when().post("/v1/chat/completions").then().statusCode(200);
        double before = Metrics.value(DEADLINE);
        long t0 = System.nanoTime();
        String sse = given().contentType(ContentType.JSON).body(body("story", true, 8000))
                .when().post("/v1/chat/completions")
                .then().statusCode(200).extract().asString();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        List<String> data = Sse.data(sse);
        assertEquals("[DONE]", data.getLast());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonPath j = JsonPath.from(d);
            if (j.getList("choices").isEmpty()) {
                continue;
            }
            String piece = j.getString("choices[0].delta.content");
            text.append(piece == null ? "" : piece);
            finish = j.getString("choices[0].finish_reason") != null ? j.getString("choices[0].finish_reason") : finish;
        }
        assertEquals("length", finish);
        assertTrue(text.length() > 0, "the text so far is sent: " + sse);
        assertTrue(ms < 8000, "stopped near its limit, after " + ms + " ms");
        assertEquals(before + 1, Metrics.value(DEADLINE), "counted as stopped by its deadline");
    }

    @Test
    void aNonStreamedAnswerPastTheClientsTimeoutIsTheTextSoFar() {
        long t0 = System.nanoTime();
        JsonPath r = given().contentType(ContentType.JSON).header("X-Stainless-Timeout", "1").body(body("default", false, 4000))
                .when().post("/v1/chat/completions")
                .then().statusCode(200).extract().jsonPath();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("length", r.getString("choices[0].finish_reason"));
        assertTrue(r.getInt("usage.completion_tokens") > 0 && r.getInt("usage.completion_tokens") < 4000, r.prettify());
        assertTrue(!r.getString("choices[0].message.content").isEmpty());
        // the client waits 1 s: the answer is sent a tenth earlier
        assertTrue(ms < 1500, "answered before the client gives up, after " + ms + " ms");
    }

    @Test
    void aNonStreamedRequestWhoseTimeRunsOutBeforeAnyTextIsATimeoutError() throws Exception {
        // a stream holds the default model's only slot: the second request waits past its client's timeout
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<InputStream> running = http.send(HttpRequest.newBuilder(completions).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body("default", true, 4000))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = running.body()) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null && !line.startsWith("data:")) {
                // until it generates
            }
            given().contentType(ContentType.JSON).header("X-Stainless-Timeout", "1").body(body("default", false, 4000))
                    .when().post("/v1/chat/completions")
                    .then().time(org.hamcrest.Matchers.lessThan(5000L))
                    .statusCode(504)
                    .body("error.code", equalTo("timeout"))
                    .body("error.message", containsString("while it waited for a free slot"));
        }
        http.close();
        // leaving stops the stream: the slot is free for the other tests
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Metrics.value("chelsea_queue_running{model=\"<default>\"}") > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0.0, Metrics.value("chelsea_queue_running{model=\"<default>\"}"));
    }
}
