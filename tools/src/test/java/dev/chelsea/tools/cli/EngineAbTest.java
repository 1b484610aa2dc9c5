package dev.chelsea.tools.cli;

import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/lib/EngineAB.java}, which {@code bin/engine-ab} runs: two builds (here the same engine
 * classes twice) timed in turn on stories260K, at depth 0 and with a context read first
 * ({@code DEPTH}), one result row per build with the first build's ratio 1.000; a negative depth
 * refused.
 */
class EngineAbTest {
    @Test
    void timesTwoBuildsOverAContextReadFirst() throws IOException, InterruptedException {
        Result r = run("d", "3", "2", "1", "1", "40", "a=" + engineClasses(), "b=" + engineClasses());
        assertEquals(0, r.code, r.out);
        assertEquals(2, r.out.lines().filter(l -> l.matches("[ab] +read 40 tokens of context in [0-9.]+ s")).count(), r.out);
        List<String> rows = r.out.lines().filter(l -> l.matches("[ab] +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ .*")).toList();
        assertEquals(2, rows.size(), r.out);
        assertEquals("1.000", rows.getFirst().trim().split("\\s+")[4], r.out);
    }

    @Test
    void timesDecodeFromAnEmptyContextAtDepthZero() throws IOException, InterruptedException {
        Result r = run("d", "3", "2", "1", "1", "0", "a=" + engineClasses());
        assertEquals(0, r.code, r.out);
        assertTrue(r.out.lines().noneMatch(l -> l.contains("tokens of context")), r.out);
        assertTrue(r.out.contains("ms a step, 2 steps each"), r.out);
    }

    @Test
    void refusesANegativeDepth() throws IOException, InterruptedException {
        Result r = run("d", "3", "2", "1", "1", "-1", "a=" + engineClasses());
        assertNotEquals(0, r.code, r.out);
        assertTrue(r.out.contains("a depth of 0 or more"), r.out);
    }

    private record Result(int code, String out) {
    }

    /** The engine module's compiled classes, next to this module. */
    private static Path engineClasses() {
        Path classes = RepositoryScripts.script("engine/pom.xml").resolveSibling("target/classes");
        assertTrue(Files.isDirectory(classes.resolve("dev/chelsea/engine")), "engine classes at " + classes);
        return classes;
    }

    private static Result run(String... args) throws IOException, InterruptedException {
        Path source = RepositoryScripts.script("bin/lib/EngineAB.java");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx1g", source.toString(), Shared.resolve("models/stories260K.gguf").toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "EngineAB finished");
        return new Result(p.exitValue(), out);
    }
}
