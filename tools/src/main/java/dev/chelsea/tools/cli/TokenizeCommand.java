package dev.chelsea.tools.cli;

import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.tokenizer.Tokenizer;
import dev.chelsea.engine.tokenizer.Tokenizers;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code tokenize}: token ids as a JSON array; needs only the vocabulary, so vocabulary-only files work. */
final class TokenizeCommand extends Command {
    @Override
    String name() {
        return "tokenize";
    }

    @Override
    String summary() {
        return "print the token ids of a text as a JSON array";
    }

    @Override
    String usage() {
        return """
                usage: bin/chelsea tokenize --model M.gguf --text TEXT [--no-bos] [--special]
                  --model M.gguf   a model or vocabulary-only GGUF file
                  --text TEXT      the text to tokenize
                  --no-bos         do not add the beginning-of-sequence token
                  --special        parse control tokens written in the text (otherwise they are plain text)
                """ + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        return List.of("model", "text");
    }

    @Override
    List<String> flagOptions() {
        return List.of("no-bos", "special");
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        String text = a.require("text");
        threads(a);
        try (GgufFile file = GgufFile.open(Path.of(a.require("model")))) {
            Tokenizer tokenizer = Tokenizers.fromGguf(file.metadata());
            int[] ids = tokenizer.encode(text, !a.flag("no-bos") && tokenizer.addsBos(), a.flag("special"));
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < ids.length; i++) {
                b.append(i == 0 ? "" : ", ").append(ids[i]);
            }
            out.println(b.append(']'));
        }
        return 0;
    }
}
