package dev.chelsea.langchain4j;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * A benchmark, not a test: decode speed through {@link ChelseaStreamingChatModel} with and without
 * a JSON response format, end to end (request conversion, grammar from the model's cache, mask
 * before every sample, answer reading). Greedy; the schema is an object whose first property is a
 * string, so the model writes until the token budget makes the grammar close the value. Runs
 * alternate, the order flipping every round, so that both see the same machine.
 *
 * <p>The measure is decode tokens/s (the engine's statistics: wall time from the first generated
 * token to the last), with the load average before each round. On a machine shared with other
 * jobs it swings with the scheduler far more than a mask could change it (the process's CPU time
 * per token swings as much: 0.2 to 0.55 s per token on the same runs, as spinning workers wait
 * for descheduled peers), so read the medians over many short alternating runs, and the
 * constraint's own share from {@code ConstrainedDecodeBenchmarkMain} in the engine.
 *
 * <pre>
 * ./mvnw -B -q -pl extension -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java --add-modules jdk.incubator.vector -cp extension/target/classes:extension/target/test-classes:$(cat /tmp/cp.txt) \
 *     dev.chelsea.langchain4j.JsonDecodeBenchmarkMain /tmp/models/llama-3.2-1b-q8_0.gguf [tokens=16] [rounds=12] [threads=2]
 * </pre>
 */
public final class JsonDecodeBenchmarkMain {
    private JsonDecodeBenchmarkMain() {
    }

    /** One run's response. */
    private record Run(ChatResponse response) {
        double wallTokensPerSecond() {
            return ((ChelseaChatResponseMetadata) response.metadata()).stats().decodeTokensPerSecond();
        }

        int tokens() {
            return response.tokenUsage().outputTokenCount();
        }
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 12;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        ResponseFormat json = ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("Note")
                .rootElement(JsonObjectSchema.builder().addStringProperty("text").addIntegerProperty("count")
                        .addBooleanProperty("done").required("text", "count", "done").build()).build()).build();
        try (ChelseaStreamingChatModel model = ChelseaStreamingChatModel.builder().modelPath(file).threads(threads).contextLength(1024)
                .kvCache(KvCacheConfig.full()).chatTemplate("llama3.2").temperature(0.0).build()) {
            System.out.printf("%s: vocabulary %d tokens, %d threads, %d tokens per run, %d cores%n", file.getFileName(),
                    model.loadedModel().model().tokenizer().vocabularySize(), threads, tokens, Runtime.getRuntime().availableProcessors());
            // warm-up: the JIT, and the grammar compiled and cached for this model
            run(model, null, tokens);
            run(model, json, tokens);
            List<Double> freeWall = new ArrayList<>();
            List<Double> jsonWall = new ArrayList<>();
            System.out.println("| round | load average | free t/s (tokens) | JSON t/s (tokens) | JSON / free |");
            System.out.println("|---|---|---|---|---|");
            for (int r = 0; r < rounds; r++) {
                String load = loadAverage();
                Run a;
                Run b;
                if (r % 2 == 0) {
                    a = run(model, null, tokens);
                    b = run(model, json, tokens);
                } else {
                    b = run(model, json, tokens);
                    a = run(model, null, tokens);
                }
                freeWall.add(a.wallTokensPerSecond());
                jsonWall.add(b.wallTokensPerSecond());
                System.out.printf(Locale.ROOT, "| %d | %s | %.2f (%d) | %.2f (%d) | %.1f%% |%n", r, load,
                        a.wallTokensPerSecond(), a.tokens(), b.wallTokensPerSecond(), b.tokens(),
                        100 * b.wallTokensPerSecond() / a.wallTokensPerSecond());
            }
            System.out.printf(Locale.ROOT, "| median | %s | %.2f | %.2f | %.1f%% |%n", loadAverage(),
                    median(freeWall), median(jsonWall), 100 * median(jsonWall) / median(freeWall));
            System.out.printf(Locale.ROOT, "free %.2f-%.2f t/s, JSON %.2f-%.2f t/s%n", min(freeWall), max(freeWall), min(jsonWall), max(jsonWall));
        }
    }

    private static Run run(ChelseaStreamingChatModel model, ResponseFormat format, int tokens) throws Exception {
        ChatRequest.Builder b = ChatRequest.builder().messages(UserMessage.from("Write a short note about the weather."))
                .maxOutputTokens(tokens);
        if (format != null) {
            b.responseFormat(format);
        }
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(b.build(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String piece) {
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return new Run(done.get());
    }

    private static String loadAverage() throws IOException {
        Path p = Path.of("/proc/loadavg");
        if (!Files.isReadable(p)) {
            return "?";
        }
        String[] f = Files.readString(p).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    private static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
