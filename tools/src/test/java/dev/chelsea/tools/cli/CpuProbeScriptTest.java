package dev.chelsea.tools.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/cpu-probe}, which benchmarks are read against (docs/performance.md, twenty-fourth
 * session): one row per processor this process may run on, each with a positive vector rate, its
 * ratio to the best row (one row at 1.00) and a positive scalar latency; bad options refused.
 */
class CpuProbeScriptTest {
    @Test
    void printsOneRowPerProcessor() throws IOException, InterruptedException {
        Result r = run("--rounds", "1", "--millis", "100");
        assertEquals(0, r.code, r.out);
        List<String> lines = r.out.lines().toList();
        assertTrue(lines.getFirst().startsWith("round") && lines.getFirst().contains("vector G-multiplies/ns"), r.out);
        List<String> rows = lines.subList(1, lines.size());
        assertEquals(Runtime.getRuntime().availableProcessors(), rows.size(), r.out);
        boolean best = false;
        for (String row : rows) {
            String[] f = row.trim().split("\\s+");
            assertEquals(5, f.length, row);
            assertEquals("1", f[0], row);
            assertTrue(f[1].matches("\\d+"), row);
            assertTrue(Double.parseDouble(f[2]) > 0, row);
            double ratio = Double.parseDouble(f[3]);
            assertTrue(ratio > 0 && ratio <= 1, row);
            best |= f[3].equals("1.00");
            assertTrue(Double.parseDouble(f[4]) > 0, row);
        }
        assertTrue(best, "one row is the best:\n" + r.out);
    }

    @Test
    void refusesARoundCountThatIsNotANumber() throws IOException, InterruptedException {
        Result r = run("--rounds", "two");
        assertEquals(2, r.code, r.out);
        assertTrue(r.out.contains("--rounds and --millis take a positive whole number, got 'two'"), r.out);
    }

    private record Result(int code, String out) {
    }

    private static Result run(String... args) throws IOException, InterruptedException {
        Path script = RepositoryScripts.script("bin/cpu-probe");
        List<String> command = new java.util.ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the script finished");
        return new Result(p.exitValue(), out);
    }
}
