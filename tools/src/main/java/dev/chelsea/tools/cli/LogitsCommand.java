package dev.chelsea.tools.cli;

import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code logits}: the top 10 logits at every position (and all of them at chosen positions) from one
 * batched prefill, as JSON in the format of llama.cpp's reference files.
 */
final class LogitsCommand extends Command {
    static final int TOP = 10;

    @Override
    String name() {
        return "logits";
    }

    @Override
    String summary() {
        return "print logits for a token sequence as JSON (top 10 per position)";
    }

    @Override
    String usage() {
        return """
                usage: bin/chelsea logits --model M.gguf --tokens "1 2 3 ..." [--full-at 0,47]
                  --model M.gguf     the GGUF model file
                  --tokens IDS       token ids separated by spaces or commas
                  --full-at P,Q      positions whose full logits are printed too
                """ + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        return List.of("model", "tokens", "full-at");
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        int[] tokens = parseInts(a.require("tokens"), "tokens");
        if (tokens.length == 0) {
            throw new UsageException("option --tokens needs at least one token id");
        }
        Set<Integer> full = new HashSet<>();
        if (a.has("full-at")) {
            for (int p : parseInts(a.string("full-at", ""), "full-at")) {
                if (p < 0 || p >= tokens.length) {
                    throw new UsageException("option --full-at: position " + p + " is outside 0.." + (tokens.length - 1));
                }
                full.add(p);
            }
        }
        try (Model model = loadModel(a, Math.max(tokens.length, 1))) {
            Session session = model.newSession(KvCacheConfig.full());
            int vocab = session.vocabularySize();
            float[] logits = session.feedAllLogits(tokens, 0, tokens.length, Integer.MAX_VALUE);
            out.print(toJson(tokens, logits, vocab, full));
        }
        return 0;
    }

    static String toJson(int[] tokens, float[] logits, int vocab, Set<Integer> full) {
        StringBuilder b = new StringBuilder();
        b.append("{\"n_vocab\": ").append(vocab).append(", \"tokens\": [");
        for (int i = 0; i < tokens.length; i++) {
            b.append(i == 0 ? "" : ",").append(tokens[i]);
        }
        b.append("],\n\"positions\": [\n");
        for (int p = 0; p < tokens.length; p++) {
            int base = p * vocab;
            b.append("{\"pos\": ").append(p).append(", \"top\": [");
            int[] top = topK(logits, base, vocab, TOP);
            for (int k = 0; k < top.length; k++) {
                b.append(k == 0 ? "" : ",").append('[').append(top[k]).append(", ").append(logits[base + top[k]]).append(']');
            }
            b.append(']');
            if (full.contains(p)) {
                b.append(", \"logits\": [");
                for (int i = 0; i < vocab; i++) {
                    b.append(i == 0 ? "" : ",").append(logits[base + i]);
                }
                b.append(']');
            }
            b.append('}').append(p + 1 < tokens.length ? ",\n" : "\n");
        }
        return b.append("]}\n").toString();
    }

    /** Ids of the k largest values of {@code x[base .. base + n)}, largest first. */
    static int[] topK(float[] x, int base, int n, int k) {
        k = Math.min(k, n);
        int[] best = new int[k];
        Arrays.fill(best, -1);
        for (int i = 0; i < n; i++) {
            float v = x[base + i];
            int j = k - 1;
            if (best[j] >= 0 && v <= x[base + best[j]]) {
                continue;
            }
            while (j > 0 && (best[j - 1] < 0 || v > x[base + best[j - 1]])) {
                best[j] = best[j - 1];
                j--;
            }
            best[j] = i;
        }
        return best;
    }

    static int[] parseInts(String s, String option) {
        String t = s.trim();
        if (t.isEmpty()) {
            return new int[0];
        }
        String[] parts = t.split("[\\s,]+");
        int[] r = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                r[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new UsageException("option --" + option + ": '" + parts[i] + "' is not an integer");
            }
        }
        return r;
    }
}
