import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak client of bin/soak: N requests to an OpenAI-compatible server, from C clients at once,
 * mixed: plain and streamed answers, streams the client leaves after the first event, bad input
 * (broken JSON, an unknown model, a negative max_tokens), and answers cut by a client timeout
 * header. Prints the requests by kind and outcome, and p50/p99 latency of the answered ones.
 * Run with: java Soak.java BASE_URL N CONCURRENCY SEED MODEL
 */
public class Soak {
    enum Kind { PLAIN, STREAM, LEAVE, BAD_JSON, UNKNOWN_MODEL, BAD_PARAMETER, CLIENT_TIMEOUT }

    /** One request in ten of each: plain 3, stream 2, leave 1, bad json 1, unknown model 1, bad parameter 1, timeout 1. */
    static final Kind[] MIX = {Kind.PLAIN, Kind.PLAIN, Kind.PLAIN, Kind.STREAM, Kind.STREAM, Kind.LEAVE, Kind.BAD_JSON,
            Kind.UNKNOWN_MODEL, Kind.BAD_PARAMETER, Kind.CLIENT_TIMEOUT};

    static final String[] PROMPTS = {"Once upon a time", "The little dog", "Lily and Tom went to the park", "One day, a bird",
            "There was a big red ball"};

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0] + "/v1/chat/completions");
        int n = Integer.parseInt(args[1]);
        int concurrency = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        String model = args[4];
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            for (int c = 0; c < concurrency; c++) {
                pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < n) {
                        Random r = new Random(seed * 1_000_003L + i);
                        Kind kind = MIX[r.nextInt(MIX.length)];
                        long start = System.nanoTime();
                        String outcome;
                        try {
                            outcome = run(http, url, kind, model, r);
                        } catch (IOException e) {
                            outcome = "io-error: " + e.getClass().getSimpleName();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        } catch (RuntimeException e) {
                            outcome = "client-error: " + e;
                        }
                        long ms = (System.nanoTime() - start) / 1_000_000;
                        if (outcome.equals("ok 200")) {
                            latencies.add(ms);
                        }
                        outcomes.computeIfAbsent(kind.name().toLowerCase() + " -> " + outcome, k -> new LongAdder()).increment();
                        int d = done.incrementAndGet();
                        if (d % Math.max(1, n / 10) == 0) {
                            System.err.printf("  %d/%d requests, %.0f s%n", d, n, (System.nanoTime() - t0) / 1e9);
                        }
                    }
                });
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%d requests in %.1f s (%.1f/s), %d clients at once%n", n, seconds, n / seconds, concurrency);
        System.out.println("requests by kind and outcome:");
        new TreeMap<>(outcomes).forEach((k, v) -> System.out.printf("  %-52s %6d%n", k, v.sum()));
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        if (!sorted.isEmpty()) {
            System.out.printf("latency of answered requests (HTTP 200, %d): p50 %d ms, p99 %d ms, max %d ms%n", sorted.size(),
                    sorted.get((int) (sorted.size() * 0.50)), sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))),
                    sorted.getLast());
        }
    }

    static String body(String model, boolean stream, int maxTokens, String prompt) {
        return "{\"model\":\"" + model + "\"," + (stream ? "\"stream\":true," : "") + "\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    static String run(HttpClient http, URI url, Kind kind, String model, Random r) throws IOException, InterruptedException {
        String prompt = PROMPTS[r.nextInt(PROMPTS.length)];
        int maxTokens = 8 + r.nextInt(120);
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json");
        switch (kind) {
            case PLAIN -> {
                return status(http.send(b.POST(HttpRequest.BodyPublishers.ofString(body(model, false, maxTokens, prompt))).build(),
                        HttpResponse.BodyHandlers.ofString()), 200, "\"finish_reason\"");
            }
            case STREAM -> {
                return status(http.send(b.POST(HttpRequest.BodyPublishers.ofString(body(model, true, maxTokens, prompt))).build(),
                        HttpResponse.BodyHandlers.ofString()), 200, "data: [DONE]");
            }
            case LEAVE -> {
                HttpResponse<InputStream> resp = http.send(b.POST(HttpRequest.BodyPublishers.ofString(body(model, true, 2000, prompt)))
                        .build(), HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = resp.body()) {
                    if (resp.statusCode() != 200) {
                        return "HTTP " + resp.statusCode();
                    }
                    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                    String line;
                    while ((line = reader.readLine()) != null && !line.startsWith("data:")) {
                        // leave at the first event
                    }
                    return line == null ? "ended before any event" : "left after the first event";
                }
            }
            case BAD_JSON -> {
                return status(http.send(b.POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"messages\":[")).build(),
                        HttpResponse.BodyHandlers.ofString()), 400, "invalid_request_error");
            }
            case UNKNOWN_MODEL -> {
                return status(http.send(b.POST(HttpRequest.BodyPublishers.ofString(body("no-such-model", false, 8, prompt))).build(),
                        HttpResponse.BodyHandlers.ofString()), 404, "model");
            }
            case BAD_PARAMETER -> {
                return status(http.send(b.POST(HttpRequest.BodyPublishers.ofString(body(model, false, -5, prompt))).build(),
                        HttpResponse.BodyHandlers.ofString()), 400, "max_tokens");
            }
            case CLIENT_TIMEOUT -> {
                // a client that waits one second for a long answer: the text so far (finish_reason length),
                // or 504 when its time ran out while it waited for a slot
                HttpResponse<String> resp = http.send(b.header("X-Stainless-Timeout", "1")
                        .POST(HttpRequest.BodyPublishers.ofString(body(model, false, 4000, prompt))).build(),
                        HttpResponse.BodyHandlers.ofString());
                return resp.statusCode() == 504 && resp.body().contains("\"code\":\"timeout\"") ? "ok 504 (time ran out waiting)"
                        : status(resp, 200, "\"finish_reason\"");
            }
        }
        throw new AssertionError(kind);
    }

    /** "ok" when the status and a piece of the body are as expected, else the status and the start of the body. */
    static String status(HttpResponse<String> resp, int expected, String contains) {
        if (resp.statusCode() == expected && resp.body().contains(contains)) {
            return "ok " + expected;
        }
        String b = resp.body().replaceAll("\\s+", " ");
        return "HTTP " + resp.statusCode() + (resp.statusCode() == expected ? " unexpected body" : "")
                + (resp.statusCode() >= 500 ? " " + b.substring(0, Math.min(80, b.length())) : "");
    }
}
