package dev.chelsea.tools.eval;

import dev.chelsea.engine.json.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * LongChat's "lines" retrieval tests (LongEval): JSON lines with a {@code prompt} that lists
 * hundreds of {@code line NAME: REGISTER_CONTENT is <N>} records and asks for one of them, and its
 * {@code expected_number}. {@code random_idx} ({@code [name, index]}) and {@code num_lines}, when
 * present, name the line and give the needle's depth.
 */
public final class LongChatLines {
    private LongChatLines() {
    }

    public static List<RetrievalCase> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("retrieval file not found: " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<RetrievalCase> cases = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file.getFileName() + ":" + (i + 1);
            try {
                cases.add(parse(Json.parseObject(line), where, cases.size()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        if (cases.isEmpty()) {
            throw new IllegalArgumentException(file + ": no test cases");
        }
        return cases;
    }

    static RetrievalCase parse(Map<String, Object> o, String where, int index) {
        if (!(o.get("prompt") instanceof String prompt)) {
            throw new IllegalArgumentException("missing string field 'prompt' (not a LongChat lines test?)");
        }
        if (!(o.get("expected_number") instanceof Number expected) || expected.doubleValue() != Math.rint(expected.doubleValue())) {
            throw new IllegalArgumentException("missing integer field 'expected_number' (not a LongChat lines test?)");
        }
        String name = null;
        double depth = Double.NaN;
        if (o.get("random_idx") instanceof List<?> idx && idx.size() == 2 && idx.get(0) instanceof String s
                && idx.get(1) instanceof Number at) {
            name = s;
            if (o.get("num_lines") instanceof Number lines && lines.doubleValue() > 1) {
                depth = at.doubleValue() / (lines.doubleValue() - 1);
            }
        }
        String prefix = name == null ? "Answer:" : "The <REGISTER_CONTENT> in line " + name + " is";
        return new RetrievalCase(name == null ? "case" + (index + 1) : name, prompt, prefix, expected.longValue(), depth);
    }
}
