package dev.chelsea.tools.cli;

import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tables {@code bin/gpu-check} prints last ({@code bin/lib/gpu-tables.sh}), from what
 * {@code bench --json} really writes: on a lent GPU machine they are the result of the run, and
 * the device time cannot be spent again. Their first form printed only headers: awk read
 * {@code printf ..., ref > 0 ? a : b} as output to a file, which no check without a GPU ran.
 */
class GpuTablesTest {
    @TempDir
    Path dir;

    @Test
    void everyBenchLineBecomesARow() throws IOException, InterruptedException {
        String m = Shared.stories().toString();
        MainTest.Run depths = MainTest.run("bench", "--model", m, "--prompt-tokens", "16", "--gen-tokens", "8", "--context-depth", "0,64",
                "--threads", "1", "--warm-up", "0", "--json");
        assertEquals(0, depths.code(), depths.err());
        Files.writeString(dir.resolve("bench-q8_0.json"), depths.out());
        MainTest.Run policies = MainTest.run("bench", "--model", m, "--prompt-tokens", "16", "--gen-tokens", "8", "--context-depth", "96",
                "--kv", "full,chelsea,streaming", "--kept-ratio", "0.2", "--threads", "1", "--warm-up", "0", "--json");
        assertEquals(0, policies.code(), policies.err());
        Files.writeString(dir.resolve("long.json"), policies.out());

        Path script = RepositoryScripts.script("bin/lib/gpu-tables.sh");
        Process p = new ProcessBuilder("bash", script.toString(), dir.toString(), "q8_0", "q4_0").directory(dir.toFile())
                .redirectErrorStream(true).start();
        String table = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the script finished");
        assertEquals(0, p.exitValue(), table);
        List<String> rows = table.lines().toList();

        for (String line : depths.out().strip().split("\n")) {
            Map<String, Object> r = Json.parseObject(line);
            long depth = ((Number) r.get("context_depth")).longValue();
            String tg = String.format(Locale.ROOT, "%.1f", ((Number) r.get("decode_tokens_per_s")).doubleValue());
            // llama.cpp's figure beside depth 0 (818 t/s for Q8_0 on an H200), none beside 64
            String reference = depth == 0 ? ".*818 \\([0-9.]+x\\)" : ".*-";
            assertTrue(rows.stream().anyMatch(row -> row.matches("q8_0\\s+" + depth + "\\s.*") && row.contains(" " + tg + " ")
                    && row.strip().matches(reference)),
                    "a row for depth " + depth + " with " + tg + " t/s:\n" + table);
        }
        for (String line : policies.out().strip().split("\n")) {
            Map<String, Object> r = Json.parseObject(line);
            String policy = (String) r.get("kv_policy");
            String tg = String.format(Locale.ROOT, "%.1f", ((Number) r.get("decode_tokens_per_s")).doubleValue());
            assertTrue(rows.stream().anyMatch(row -> row.matches(policy + "\\s+96\\s.*") && row.contains(" " + tg + " ")),
                    "a row for " + policy + " with " + tg + " t/s:\n" + table);
        }
        assertTrue(Files.list(dir).allMatch(f -> f.getFileName().toString().endsWith(".json")), "the script wrote no stray files");
    }
}
