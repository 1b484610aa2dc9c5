package dev.chelsea.quarkus.it;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Many clients at once: every one is answered, and greedy answers do not depend on what runs beside them. */
@QuarkusTest
class ConcurrentRequestsTest {
    @TestHTTPResource("/chat")
    URI chat;

    @Test
    void parallelRequestsAreQueuedAndAnsweredAlike() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String[] prompts = {"Once upon a time", "Lily and Ben went to the park", "The little dog was sad because"};
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String body = "{\"model\":\"story\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompts[i % 3] + "\"}]}";
            calls.add(http.sendAsync(HttpRequest.newBuilder(chat).timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        List<String> answers = new ArrayList<>();
        for (var c : calls) {
            HttpResponse<String> r = c.join();
            assertEquals(200, r.statusCode(), r.body());
            answers.add(io.restassured.path.json.JsonPath.from(r.body()).getString("answer"));
        }
        for (int i = 3; i < answers.size(); i++) {
            assertEquals(answers.get(i % 3), answers.get(i), "greedy answers to the same prompt");
        }
    }
}
