package dev.chelsea.engine.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * llama.cpp's tokenizer conformance data: every {@code ggml-vocab-*.gguf} in the shared data that
 * has {@code .inp}/{@code .out} files, tokenized without BOS and without special-token parsing.
 */
class TokenizerConformanceTest {

    static Stream<Path> vocabularies() throws IOException {
        Path dir = SharedData.dir().resolve("data/tokenizer");
        List<Path> found;
        try (Stream<Path> files = Files.list(dir)) {
            found = files.filter(p -> p.getFileName().toString().matches("ggml-vocab-.*\\.gguf"))
                    .filter(p -> Files.exists(Path.of(p + ".inp")) && Files.exists(Path.of(p + ".out")))
                    .sorted().toList();
        }
        assertFalse(found.isEmpty(), "no vocabularies with .inp/.out files in " + dir);
        return found.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void matchesLlamaCpp(Path vocab) {
        Tokenizer tokenizer = SharedData.tokenizer(vocab);
        VocabTestCases cases = VocabTestCases.read(vocab);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            String text = cases.texts().get(i);
            int[] expected = cases.ids().get(i);
            int[] actual = tokenizer.encode(text, false, false);
            if (!Arrays.equals(expected, actual)) {
                failures.add("case " + i + " " + quote(text) + "\n  expected " + Arrays.toString(expected)
                        + "\n  actual   " + Arrays.toString(actual));
            }
        }
        String name = vocab.getFileName().toString();
        System.out.printf("%s: %d/%d cases pass%n", name, cases.size() - failures.size(), cases.size());
        assertEquals(List.of(), failures, name + ": " + failures.size() + " of " + cases.size() + " cases differ");
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
