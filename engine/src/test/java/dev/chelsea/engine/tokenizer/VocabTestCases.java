package dev.chelsea.engine.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's tokenizer conformance cases: {@code NAME.gguf.inp} holds the texts, each followed
 * by a line {@code __ggml_vocab_test__} (so the newline before that line is not part of the
 * text), and {@code NAME.gguf.out} one line of space-separated ids per text.
 */
record VocabTestCases(List<String> texts, List<int[]> ids) {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    static VocabTestCases read(Path vocab) {
        try {
            String raw = Files.readString(Path.of(vocab + ".inp"), StandardCharsets.UTF_8);
            List<String> texts = new ArrayList<>();
            int pos = 0;
            while (pos < raw.length()) {
                int next = raw.indexOf(SEPARATOR, pos);
                if (next < 0) {
                    texts.add(raw.substring(pos));
                    break;
                }
                texts.add(raw.substring(pos, next));
                pos = next + SEPARATOR.length();
            }
            List<int[]> ids = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of(vocab + ".out"), StandardCharsets.UTF_8)) {
                String s = line.strip();
                ids.add(s.isEmpty() ? new int[0] : Arrays.stream(s.split(" ")).mapToInt(Integer::parseInt).toArray());
            }
            if (texts.size() != ids.size()) {
                throw new IllegalStateException(vocab + ": " + texts.size() + " texts but " + ids.size() + " id lines");
            }
            return new VocabTestCases(texts, ids);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int size() {
        return texts.size();
    }
}
