package dev.chelsea.engine.grammar;

import dev.chelsea.engine.tokenizer.ToolCallFormat;
import dev.chelsea.engine.tokenizer.ToolDefinition;
import dev.chelsea.engine.tokenizer.Tokenizer;
import dev.chelsea.engine.tokenizer.Tokenizers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * A timing harness, not a test: the cost of masking the logits at each step of a constrained
 * generation, on a real vocabulary. The output is replayed from a fixed document (its tokens are
 * what a model would have sampled), and each step times {@code mask(logits, remaining)} (compute
 * the allowed set and write -inf into the logits) followed by {@code accept(token)}. Run after
 * {@code mvn test-compile}:
 *
 * <pre>
 * java -cp engine/target/classes:engine/target/test-classes dev.chelsea.engine.grammar.GrammarMaskBenchmarkMain \
 *     [tokenizer.gguf=../shared/data/tokenizer/ggml-vocab-llama-bpe.gguf] [decode ms per step=89.4] [rounds=20]
 * </pre>
 *
 * Workloads: a LangChain4j-style record (nested object, enum, array), OpenAI's {@code json_object}
 * (any object) on a pretty-printed document, and a Llama 3 tool call (tool choice auto, three
 * tools). "cold" is the first generation with a new constraint (each automaton state's cached part is
 * computed when first met, a walk of the whole vocabulary trie); "warm" is every later
 * generation with the same constraint (schemas repeat: one AI service method, one tool set). The
 * JIT is warmed up on other constraints first. The decode time per step (default: 89.4 ms, the
 * Llama-3.2-1B Q8_0 CPU decode step of docs/performance.md) gives the share column (of the
 * warm mean, which pauses of a busy machine inflate; the median does not see them).
 */
public final class GrammarMaskBenchmarkMain {
    private GrammarMaskBenchmarkMain() {
    }

    record Workload(String name, Supplier<Grammar> grammar, String document) {
    }

    public static void main(String[] args) {
        Path vocab = Path.of(args.length > 0 ? args[0] : "../shared/data/tokenizer/ggml-vocab-llama-bpe.gguf");
        double decodeMs = args.length > 1 ? Double.parseDouble(args[1]) : 89.4;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Tokenizer tok = Tokenizers.fromGguf(vocab);
        long t0 = System.nanoTime();
        TokenTrie trie = TokenTrie.of(tok);
        double trieMs = (System.nanoTime() - t0) / 1e6;
        System.out.printf("vocabulary %s: %d tokens, trie of %d nodes built in %.0f ms; %d thread, decode step %.1f ms%n",
                vocab.getFileName(), tok.vocabularySize(), trie.nodeCount(), trieMs, 1, decodeMs);

        List<Workload> workloads = workloads();
        for (int i = 0; i < 5; i++) {
            for (Workload w : workloads) {
                replay(GrammarConstraint.of(w.grammar.get(), tok), tok, w.document);
            }
        }
        System.out.printf("%-12s %6s %6s %9s %9s %9s %9s %9s %9s %9s %8s%n", "workload", "states", "steps", "compile", "cold tot",
                "cold max", "warm p50", "warm mean", "warm p99", "warm max", "share");
        for (Workload w : workloads) {
            long c0 = System.nanoTime();
            Grammar g = w.grammar.get();
            double compileMs = (System.nanoTime() - c0) / 1e6;
            List<Double> coldTotals = new ArrayList<>();
            List<Double> coldMax = new ArrayList<>();
            List<Double> warm = new ArrayList<>();
            int steps = 0;
            for (int r = 0; r < rounds; r++) {
                GrammarConstraint c = GrammarConstraint.of(g, tok);
                double[] cold = replay(c, tok, w.document);
                coldTotals.add(Arrays.stream(cold).sum());
                coldMax.add(Arrays.stream(cold).max().orElse(0));
                for (int k = 0; k < 3; k++) {
                    for (double x : replay(c, tok, w.document)) {
                        warm.add(x);
                    }
                }
                steps = cold.length;
            }
            double[] ws = warm.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double mean = Arrays.stream(ws).average().orElse(0);
            System.out.printf("%-12s %6d %6d %7.1fms %7.1fms %7.2fms %7.3fms %7.3fms %7.3fms %7.3fms %7.2f%%%n", w.name, g.stateCount(),
                    steps, compileMs, median(coldTotals), median(coldMax), ws[ws.length / 2], mean, ws[(int) (ws.length * 0.99)],
                    ws[ws.length - 1], 100 * mean / decodeMs);
        }
    }

    private static double median(List<Double> xs) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s[s.length / 2];
    }

    /** Replays the document's tokens; returns the milliseconds of mask + accept per step. */
    private static double[] replay(GrammarConstraint c, Tokenizer tok, String document) {
        int[] ids = tok.encode(document, false, false);
        GrammarConstraint.Run run = c.start();
        float[] logits = new float[tok.vocabularySize()];
        SplittableRandom r = new SplittableRandom(1);
        double[] ms = new double[ids.length];
        for (int i = 0; i < ids.length; i++) {
            for (int k = 0; k < logits.length; k++) {
                logits[k] = (float) r.nextGaussian();
            }
            long s = System.nanoTime();
            run.mask(logits, 1000);
            run.accept(ids[i]);
            ms[i] = (System.nanoTime() - s) / 1e6;
            if (logits[ids[i]] == Float.NEGATIVE_INFINITY) {
                throw new IllegalStateException("the document's token " + i + " was masked");
            }
        }
        if (!run.isComplete()) {
            throw new IllegalStateException("the document is not complete in its grammar");
        }
        return ms;
    }

    static List<Workload> workloads() {
        String record = """
                {"type":"object","properties":{
                  "name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"},
                  "height":{"type":"number"},"married":{"type":"boolean"},
                  "status":{"type":"string","enum":["ACTIVE","INACTIVE","SUSPENDED"]},
                  "address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},
                    "zip":{"type":"string"}},"required":["street","city","zip"],"additionalProperties":false},
                  "tags":{"type":"array","items":{"type":"string"}}},
                 "required":["name","age","email","height","married","status","address","tags"],"additionalProperties":false}""";
        String recordDoc = "{\"name\": \"Ada Lovelace\", \"age\": 36, \"email\": \"ada@example.org\", \"height\": 1.65, "
                + "\"married\": true, \"status\": \"ACTIVE\", \"address\": {\"street\": \"12 St James's Square\", "
                + "\"city\": \"London\", \"zip\": \"SW1Y 4JH\"}, \"tags\": [\"mathematics\", \"analytical engine\", \"poetry\"]}";
        String anyDoc = "{\n  \"order\": {\n    \"id\": 1042,\n    \"items\": [\n      {\"sku\": \"A-17\", \"qty\": 2, \"price\": 9.99},\n"
                + "      {\"sku\": \"B-3\", \"qty\": 1, \"price\": 24.5}\n    ],\n    \"gift\": false,\n    \"note\": null\n  },\n"
                + "  \"customer\": \"Charles Babbage\"\n}";
        List<ToolDefinition> tools = List.of(
                ToolDefinition.of("get_weather", "Current weather", "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
                        + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"city\",\"unit\"]}"),
                ToolDefinition.of("search_flights", "Flights between two airports", "{\"type\":\"object\",\"properties\":{"
                        + "\"from\":{\"type\":\"string\"},\"to\":{\"type\":\"string\"},\"date\":{\"type\":\"string\"},"
                        + "\"passengers\":{\"type\":\"integer\"}},\"required\":[\"from\",\"to\",\"date\",\"passengers\"]}"),
                ToolDefinition.of("send_email", "Send an email", "{\"type\":\"object\",\"properties\":{\"to\":{\"type\":\"array\","
                        + "\"items\":{\"type\":\"string\"}},\"subject\":{\"type\":\"string\"},\"body\":{\"type\":\"string\"}},"
                        + "\"required\":[\"to\",\"subject\",\"body\"]}"));
        String toolDoc = "{\"name\": \"search_flights\", \"parameters\": {\"from\": \"LHR\", \"to\": \"JFK\", "
                + "\"date\": \"2024-07-26\", \"passengers\": 2}}";
        List<Workload> out = new ArrayList<>();
        out.add(new Workload("record", () -> JsonSchemaGrammar.compile(record), recordDoc));
        out.add(new Workload("any object", JsonSchemaGrammar::anyObject, anyDoc));
        out.add(new Workload("tool call", () -> ToolCallGrammar.of(ToolCallFormat.LLAMA3_JSON, tools, false), toolDoc));
        return out;
    }
}
