package dev.chelsea.tools.cli;

import dev.chelsea.tools.eval.EvalText;
import dev.chelsea.engine.model.Model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The texts an evaluation command reads: {@code --file} (repeatable) and {@code --self-text N}
 * (N texts the model samples itself at temperature 1, seeds {@code --seed}, +1, ...).
 */
final class EvalTexts {
    static final List<String> OPTIONS = List.of("file", "self-text", "seed");
    static final String USAGE = """
              --file TEXT        a UTF-8 text file, tokenized with the model's tokenizer, BOS first (repeatable)
              --self-text N      also N texts the model samples itself at temperature 1 (no top-k/top-p)
              --seed S           seed of the first self-sampled text; the others use S+1, S+2, ... (default 1)
            """;

    private EvalTexts() {
    }

    static List<EvalText> load(Args a, Model model, int tokens) {
        int selfTexts = a.integer("self-text", 0);
        if (selfTexts < 0) {
            throw new UsageException("option --self-text must not be negative, got " + selfTexts);
        }
        if (a.all("file").isEmpty() && selfTexts == 0) {
            throw new UsageException("give a text: --file TEXT or --self-text N");
        }
        long seed = a.longValue("seed", 1);
        List<EvalText> texts = new ArrayList<>();
        for (String f : a.all("file")) {
            texts.add(EvalText.fromFile(model, Path.of(f), tokens));
        }
        for (int i = 0; i < selfTexts; i++) {
            texts.add(EvalText.selfGenerated(model, seed + i, tokens));
        }
        return texts;
    }
}
