package dev.chelsea.tools.cli;

import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.testing.ReferenceLogits;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as a user sees it: exit codes, stdout content, error messages. */
class MainTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void noArgumentsPrintsUsage() {
        Run r = run();
        assertEquals(2, r.code());
        assertTrue(r.err().contains("generate") && r.err().contains("bench"), r.err());
    }

    @Test
    void badArgumentsPrintUsageAndExit2() {
        String m = Shared.stories().toString();
        for (String[] args : List.of(new String[] {"nonsense"}, new String[] {"generate", "--model", m},
                new String[] {"generate", "--model", m, "--prompt", "x", "--max-tokens", "many"},
                new String[] {"generate", "--model", m, "--prompt", "x", "--temperature", "-1"},
                new String[] {"generate", "--model", m, "--prompt", "x", "--bogus", "1"},
                new String[] {"generate", "--model", m, "--prompt", "x", "--kv", "lru"},
                new String[] {"generate", "--model", m, "--prompt", "x", "--kv", "chelsea", "--kept-ratio", "1.5"},
                new String[] {"generate", "--model", m, "--prompt", "x", "--kv", "chelsea", "--kv-max-bytes", "lots"},
                new String[] {"bench", "--model", m, "--threads", "0"},
                new String[] {"bench", "--model", m, "--warm-up", "-1"},
                new String[] {"logits", "--model", m, "--tokens", "1 2 x"},
                new String[] {"tokenize", "--model", m},
                new String[] {"synth", "--shape", "gpt-5", "--type", "q8_0", "--tokenizer-from", m, "--out", "x.gguf"},
                new String[] {"synth", "--shape", "smollm2-135m", "--type", "q3_k", "--tokenizer-from", m, "--out", "x.gguf"})) {
            Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + "\n" + r.err());
            assertTrue(r.err().startsWith("error: ") && r.err().contains("usage:"), r.err());
        }
    }

    @Test
    void badModelFilePrintsTheLoaderMessageAndExits1() throws IOException {
        Path bad = dir.resolve("bad.gguf");
        Files.writeString(bad, "not a model at all");
        Run r = run("generate", "--model", bad.toString(), "--prompt", "hi");
        assertEquals(1, r.code());
        assertTrue(r.err().contains(bad.toString()) && r.err().contains("bad magic"), r.err());
        r = run("generate", "--model", dir.resolve("missing.gguf").toString(), "--prompt", "hi");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no such file"), r.err());
        r = run("generate", "--model", Shared.stories().toString(), "--prompt", "hi", "--backend", "cuda");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cuda"), r.err());
    }

    @Test
    void generatePrintsOnlyTheTextOnStdout() {
        Run r = run("generate", "--model", Shared.stories().toString(), "--prompt", "Once upon a time", "--temperature", "0",
                "--max-tokens", "12", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(", there was a little girl named Lily."), r.out());
        assertTrue(r.err().contains("tokens/s"), r.err());
    }

    @Test
    void aLimitInBytesIsASize() {
        String m = Shared.stories().toString();
        Run r = run("generate", "--model", m, "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "12", "--threads", "1",
                "--kv", "chelsea", "--kv-max-bytes", "256K");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(", there was a little girl named Lily."), "a prompt that fits is read whole: " + r.out());
        // stories260K's full cache takes 1360 bytes a token in f32: 4K holds 3 tokens, fewer than the prompt
        r = run("generate", "--model", m, "--prompt", "Once upon a time", "--max-tokens", "4", "--threads", "1", "--kv-max-bytes", "4K",
                "--kv-type", "f32");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("more than the tokens that fit in the KV cache's max-bytes of 3"), r.err());
        r = run("generate", "--model", m, "--prompt", "x", "--threads", "1", "--kv", "chelsea", "--kv-max-bytes", "100K", "--kv-type", "f32");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("too small for policy 'chelsea': it needs at least 202160 bytes"), r.err());
    }

    @Test
    void tokenizeWorksOnVocabularyOnlyFiles() {
        Run r = run("tokenize", "--model", Shared.resolve("data/tokenizer/ggml-vocab-llama-bpe.gguf").toString(), "--text",
                "Hello world", "--no-bos");
        assertEquals(0, r.code(), r.err());
        assertEquals("[9906, 1917]", r.out().strip());
        r = run("tokenize", "--model", Shared.stories().toString(), "--text", "Once upon a time");
        assertEquals("[1, 403, 407, 261, 378]", r.out().strip());
    }

    @Test
    @SuppressWarnings("unchecked")
    void logitsPrintsTheReferenceFormat() throws IOException {
        ReferenceLogits ref = ReferenceLogits.read(Shared.resolve("data/reference/synthetic/llama-f32.short.json"));
        StringBuilder ids = new StringBuilder();
        for (int t : ref.tokens()) {
            ids.append(t).append(' ');
        }
        Run r = run("logits", "--model", Shared.resolve("models/synthetic/llama-f32.gguf").toString(), "--tokens", ids.toString(),
                "--full-at", "0,47");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> json = Json.parseObject(r.out());
        assertEquals(512L, json.get("n_vocab"));
        List<Object> positions = (List<Object>) json.get("positions");
        assertEquals(48, positions.size());
        Map<String, Object> last = (Map<String, Object>) positions.get(47);
        assertEquals(512, ((List<Object>) last.get("logits")).size());
        List<Object> top = (List<Object>) ((Map<String, Object>) positions.get(3)).get("top");
        assertEquals(10, top.size());
        assertEquals((long) ref.topIds()[3][0], ((List<Object>) top.get(0)).get(0));
    }

    @Test
    void synthWritesALoadableModel() {
        Path out = dir.resolve("tiny.gguf");
        Run r = run("synth", "--shape", "smollm2-135m", "--type", "q8_0", "--tokenizer-from", Shared.stories().toString(), "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("wrote " + out), r.err());
        r = run("generate", "--model", out.toString(), "--prompt", "Once upon a time", "--max-tokens", "3", "--temperature", "0");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    @SuppressWarnings("unchecked")
    void benchPrintsJson() {
        Run r = run("bench", "--model", Shared.stories().toString(), "--prompt-tokens", "32", "--gen-tokens", "8", "--threads", "1",
                "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> json = Json.parseObject(r.out().strip());
        assertTrue(((Number) json.get("prefill_tokens_per_s")).doubleValue() > 0);
        assertTrue(((Number) json.get("decode_tokens_per_s")).doubleValue() > 0);
        assertTrue(((Number) json.get("kv_bytes")).longValue() > 0);
        assertTrue(r.err().contains("warm-up: ") && r.err().contains(" decode steps in "), r.err());
    }

    @Test
    @SuppressWarnings("unchecked")
    void benchReportsEachRepetitionAndTheirSpread() {
        Run r = run("bench", "--model", Shared.stories().toString(), "--prompt-tokens", "16", "--gen-tokens", "4", "--threads", "1",
                "--repetitions", "3", "--warm-up", "0", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> json = Json.parseObject(r.out().strip());
        for (String what : List.of("prefill", "decode")) {
            List<Number> samples = (List<Number>) json.get(what + "_samples");
            assertEquals(3, samples.size(), what);
            double[] v = samples.stream().mapToDouble(Number::doubleValue).toArray();
            double mean = (v[0] + v[1] + v[2]) / 3;
            assertEquals(mean, ((Number) json.get(what + "_tokens_per_s")).doubleValue(), 0.002 + 1e-6 * mean, what);
            assertEquals(BenchCommand.stddev(v), ((Number) json.get(what + "_tokens_per_s_stddev")).doubleValue(), 0.002, what);
        }
        Run table = run("bench", "--model", Shared.stories().toString(), "--prompt-tokens", "16", "--gen-tokens", "4", "--threads", "1",
                "--repetitions", "2", "--warm-up", "0");
        assertEquals(0, table.code(), table.err());
        String row = table.out().lines().filter(l -> l.startsWith("full")).findFirst().orElseThrow();
        assertEquals(2, row.split(" ± ", -1).length - 1, row);
    }

    @Test
    void standardDeviationOfSamplesAsLlamaBench() {
        assertEquals(Math.sqrt(5.0 / 3), BenchCommand.stddev(new double[] {1, 2, 3, 4}), 1e-12);
        assertEquals(0, BenchCommand.stddev(new double[] {7}));
    }

    @Test
    void promptCachePrintsATableWhereTheCacheStartsFromTheDocument() {
        Run r = run("prompt-cache", "--model", Shared.stories().toString(), "--document-tokens", "200", "--question-tokens", "8",
                "--repetitions", "1", "--threads", "1", "--kv", "full,chelsea", "--chunk", "16", "--window", "16");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertTrue(lines[1].startsWith("full") && lines[1].contains("yes"), r.out());
        assertTrue(lines[2].startsWith("chelsea"), r.out());
        Run bad = run("prompt-cache", "--model", Shared.stories().toString(), "--document-tokens", "0");
        assertEquals(2, bad.code(), bad.err());
    }
}
