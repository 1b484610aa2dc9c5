package dev.chelsea.quarkus.it;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.langchain4j.KvDemand;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KV budget is the least the startup check accepts: while long answers run and wait, holding
 * what their caches may grow to, one more is refused with 503, Retry-After and
 * {@code kv_memory_full}, though the queue has room for it; the budget comes back when they end.
 */
@QuarkusTest
@TestProfile(KvMemoryFullTest.TightBudget.class)
class KvMemoryFullTest {
    static final int CONTEXT = 4096;

    /**
     * The least budget the startup check accepts here, whichever KV policy applies: story's one slot
     * and the default model's two over their contexts, and one prompt that fills story's context.
     */
    static long budget() {
        Path file = Path.of(System.getProperty("chelsea.shared"), "models", "stories260K.gguf");
        try (Model story = Model.load(file, new ModelOptions(2, CONTEXT, BackendChoice.CPU));
             Model small = Model.load(file, new ModelOptions(2, 512, BackendChoice.CPU))) {
            long b = 0;
            for (KvCacheConfig kv : java.util.List.of(KvCacheConfig.full(), KvCacheConfig.defaults())) {
                b = Math.max(b, Math.max(KvDemand.steady(story, kv) + 2 * KvDemand.steady(small, kv), KvDemand.longest(story, kv)));
            }
            return b;
        }
    }

    public static class TightBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // every setting the budget depends on is given here, not left to application.properties;
            // the tools model would take a share of the budget: it is off
            return Map.of("quarkus.langchain4j.chelsea.\"tools\".enable-integration", "false",
                    "quarkus.langchain4j.chelsea.\"story\".chat-model.max-concurrent-requests", "1",
                    "quarkus.langchain4j.chelsea.chat-model.context-length", "512",
                    "quarkus.langchain4j.chelsea.chat-model.max-concurrent-requests", "2",
                    "quarkus.langchain4j.chelsea.\"story\".chat-model.max-queued-requests", "8",
                    "quarkus.langchain4j.chelsea.\"story\".chat-model.context-length", "" + CONTEXT,
                    "quarkus.langchain4j.chelsea.\"story\".chat-model.max-tokens", "4000",
                    "quarkus.langchain4j.chelsea.kv-memory.budget", "" + budget());
        }
    }

    @TestHTTPResource("/v1/chat/completions")
    URI completions;

    private static final String RESERVED = "chelsea_kv_reserved_bytes{memory=\"heap\"";

    @Test
    void requestsTheKvBudgetCannotHoldAreRefusedWithRetryAfterThoughTheQueueHasRoom() throws Exception {
        String body = "{\"model\":\"story\",\"stream\":true,\"max_tokens\":4000,\"temperature\":0,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        HttpResponse<InputStream> running = http.send(request(body), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, running.statusCode());
        try (InputStream in = running.body()) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null && !line.startsWith("data:")) {
                // until the first request generates
            }
            double each = Metrics.value(RESERVED);
            double budget = Metrics.value("chelsea_kv_budget_bytes{memory=\"heap\"");
            assertTrue(each > 0 && each <= budget, "the running request reserved " + each + " of " + budget);
            // as many more long answers as the budget holds wait in the queue, keeping their reservations
            int fit = (int) (budget / each) - 1;
            assertTrue(fit < 8, fit + " more would fit: the queue, not the budget, would refuse");
            String plain = body.replace("\"stream\":true,", "");
            for (int i = 0; i < fit; i++) {
                waiting.add(http.sendAsync(request(plain), HttpResponse.BodyHandlers.ofString()));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (Metrics.value(RESERVED) < (fit + 1) * each && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals((fit + 1) * each, Metrics.value(RESERVED), 1.0);
            given().contentType(ContentType.JSON).body(plain)
                    .when().post("/v1/chat/completions")
                    .then().statusCode(503)
                    .header("Retry-After", "1")
                    .body("error.code", equalTo("kv_memory_full"))
                    .body("error.message", containsString("of KV cache and the requests running and waiting hold"))
                    .body("error.message", containsString("KV budget of the heap (configured)"));
            assertEquals(fit, Metrics.value("chelsea_queue_waiting{model=\"story\"}"), "the refused request was not queued");
        }
        // leaving stops the running answer and the waiting ones
        waiting.forEach(f -> f.cancel(true));
        http.close();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Metrics.value(RESERVED) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0.0, Metrics.value(RESERVED), "every reservation is given back");
    }

    private HttpRequest request(String body) {
        return HttpRequest.newBuilder(completions).timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
