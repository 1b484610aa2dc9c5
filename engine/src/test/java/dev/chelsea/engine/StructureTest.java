package dev.chelsea.engine;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's package structure, read from its sources: no dependency outside the JDK, no
 * package cycle, and the layering the backend seam relies on (policies and stores know nothing of
 * models; the CPU backend is reached only through the service loader).
 */
class StructureTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/chelsea/engine");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([a-zA-Z0-9_.]+)\\.[A-Za-z0-9_*]+;", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("\\bdev\\.chelsea\\.engine\\.([a-z.]+)\\.[A-Z]");

    /** Package to the packages of the engine it uses, and every foreign package it imports. */
    private static Map<String, Set<String>> graph(Set<String> foreign) throws IOException {
        Map<String, Set<String>> g = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(SOURCES)) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path f : files) {
            String pkg = SOURCES.relativize(f.getParent()).toString().replace('/', '.');
            String text = Files.readString(f);
            Set<String> deps = g.computeIfAbsent(pkg, k -> new TreeSet<>());
            Matcher m = IMPORT.matcher(text);
            while (m.find()) {
                String imported = m.group(1);
                if (imported.startsWith("dev.chelsea.engine.")) {
                    String p = imported.substring("dev.chelsea.engine.".length());
                    // A static import names a class: drop it to get its package.
                    while (!p.isEmpty() && Character.isUpperCase(p.charAt(p.lastIndexOf('.') + 1))) {
                        p = p.substring(0, Math.max(p.lastIndexOf('.'), 0));
                    }
                    deps.add(p);
                } else if (!imported.startsWith("java.") && !imported.startsWith("jdk.incubator.vector")) {
                    foreign.add(imported + " (in " + f.getFileName() + ")");
                }
            }
            Matcher q = QUALIFIED.matcher(text);
            while (q.find()) {
                deps.add(q.group(1));
            }
            deps.remove(pkg);
        }
        return g;
    }

    /**
     * Vector calls that derive their result species at run time ({@code reinterpretAsInts()},
     * {@code viewAsFloatingLanes()}, {@code convert(op, part)}) compile to vector instructions only
     * if C2 folds that species to a constant; in a large kernel it sometimes does not, and the
     * call then runs the Java fallback, ten times slower or worse (a Q4_0 decode measured at 5.6
     * instead of 27.7 tokens/s, 93% of it in {@code AbstractVector.convert0}). The kernels name
     * the species instead: {@code reinterpretShape(I, 0)}, {@code convertShape(op, F, 0)}.
     */
    @Test
    void vectorCallsNameTheirSpecies() throws IOException {
        Pattern derived = Pattern.compile("\\.(reinterpretAs(Ints|Floats|Bytes|Shorts|Longs|Doubles)|viewAs(Floating|Integral)Lanes)\\(\\)|\\.convert\\([A-Z0-9_]+, ");
        List<String> found = new ArrayList<>();
        try (Stream<Path> s = Files.walk(SOURCES)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (derived.matcher(lines.get(i)).find()) {
                        found.add(SOURCES.relativize(f) + ":" + (i + 1));
                    }
                }
            }
        }
        assertEquals(List.of(), found);
    }

    /**
     * Q8_0's kernels read the file through {@code WeightMatrix.MEMORY}, the one segment C2 knows as
     * a constant: a vector or scalar load from a segment held in a field is typed by profiles that
     * every segment of the process feeds, and a compile after a model's prefills kept a class,
     * session and bounds check in every load of its decode loop (20-45% slower steps;
     * docs/performance.md, fourteenth session).
     */
    @Test
    void q8_0ReadsWeightsThroughTheConstantSegment() throws IOException {
        Pattern load = Pattern.compile("fromMemorySegment\\([A-Za-z.]+, (?!(WeightMatrix\\.)?MEMORY\\b)|\\bdata\\.get\\(");
        Path file = SOURCES.resolve("tensor/Q8_0Matrix.java");
        List<String> found = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (load.matcher(lines.get(i)).find()) {
                found.add(SOURCES.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
            }
        }
        assertEquals(List.of(), found);
    }

    @Test
    void theEngineNeedsNothingButTheJdk() throws IOException {
        Set<String> foreign = new TreeSet<>();
        graph(foreign);
        assertEquals(Set.of(), foreign);
    }

    @Test
    void packagesFormNoCycle() throws IOException {
        Map<String, Set<String>> g = graph(new TreeSet<>());
        List<String> cycles = new ArrayList<>();
        for (String a : g.keySet()) {
            for (String b : g.get(a)) {
                if (reaches(g, b, a, new TreeSet<>())) {
                    cycles.add(a + " <-> " + b);
                }
            }
        }
        assertEquals(List.of(), cycles, "package graph " + g);
    }

    @Test
    void layersOfTheBackendSeam() throws IOException {
        Map<String, Set<String>> g = graph(new TreeSet<>());
        assertTrue(g.containsKey("backend.cpu") && g.containsKey("kv") && g.containsKey("backend"), g.keySet().toString());
        for (String lower : List.of("kv", "arch", "backend", "tensor", "kernel", "gguf", "tokenizer")) {
            for (String upper : List.of("model", "generate", "backend.cpu")) {
                assertTrue(!g.get(lower).contains(upper), lower + " must not depend on " + upper + ": " + g.get(lower));
            }
        }
        for (String p : g.keySet()) {
            if (!p.equals("backend.cpu")) {
                assertTrue(!g.get(p).contains("backend.cpu"), p + " reaches the CPU backend directly instead of through the service loader");
            }
        }
    }

    private static boolean reaches(Map<String, Set<String>> g, String from, String to, Set<String> seen) {
        if (from.equals(to)) {
            return true;
        }
        if (!seen.add(from)) {
            return false;
        }
        for (String n : g.getOrDefault(from, Set.of())) {
            if (reaches(g, n, to, seen)) {
                return true;
            }
        }
        return false;
    }
}
