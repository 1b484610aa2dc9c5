package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.gguf.GgufMetadata;

import java.nio.file.Path;

/**
 * Builds the tokenizer a GGUF file describes, from its {@code tokenizer.ggml.*} metadata alone
 * (vocabulary-only files work). Supported models: {@code llama} (SentencePiece), {@code gpt2}
 * (byte-level BPE with the pre-tokenizer {@code tokenizer.ggml.pre} names) and {@code bert}
 * (WordPiece).
 *
 * <p>A BPE file without {@code tokenizer.ggml.pre} gets llama.cpp's "default" pre-tokenizer and a
 * logged warning, as in llama.cpp. A {@code pre} value that is not known here is an error
 * ({@link UnsupportedTokenizerException}) rather than a silent fallback, because a wrong
 * pre-tokenizer produces plausible but wrong tokens.
 */
public final class Tokenizers {
    private static final System.Logger LOG = System.getLogger(Tokenizers.class.getName());

    private Tokenizers() {
    }

    /** Reads {@code file}'s metadata and builds its tokenizer (the file is closed again). */
    public static Tokenizer fromGguf(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            return fromGguf(gguf.metadata());
        }
    }

    public static Tokenizer fromGguf(GgufMetadata md) {
        String model = md.getString("tokenizer.ggml.model");
        return switch (model) {
            case "llama" -> new SentencePieceTokenizer(new Vocabulary(md,
                    new Vocabulary.Defaults(1, 2, 0, -1, true, false, false, true)));
            case "gpt2" -> bytePair(md);
            case "bert" -> new WordPieceTokenizer(new Vocabulary(md,
                    new Vocabulary.Defaults(101, -1, 100, 102, true, false, true, false)),
                    md.getBoolean("tokenizer.ggml.normalizer.lowercase", true),
                    md.getBoolean("tokenizer.ggml.normalizer.strip_accents",
                            md.getBoolean("tokenizer.ggml.normalizer.lowercase", true)));
            default -> throw new UnsupportedTokenizerException(md.file() + ": tokenizer model '" + model
                    + "' (tokenizer.ggml.model) is not supported; supported: llama (SentencePiece), gpt2 (byte-level BPE), bert (WordPiece)");
        };
    }

    private static Tokenizer bytePair(GgufMetadata md) {
        PreTokenizer pre;
        String name = md.getString("tokenizer.ggml.pre", null);
        if (name == null) {
            LOG.log(System.Logger.Level.WARNING, "{0}: no tokenizer.ggml.pre; using the ''default'' pre-tokenizer, "
                    + "which may not be the model''s own (consider regenerating the GGUF file)", md.file());
            pre = PreTokenizer.DEFAULT;
        } else {
            pre = PreTokenizer.forName(name);
            if (pre == null) {
                throw new UnsupportedTokenizerException(md.file() + ": pre-tokenizer '" + name
                        + "' (tokenizer.ggml.pre) is not supported; known: " + String.join(", ", PreTokenizer.knownNames()));
            }
        }
        // GLM-4 has no BOS unless the file names one; other BPE families default to id 11 like llama.cpp
        boolean glm = "glm4".equals(name) || "chatglm-bpe".equals(name);
        Vocabulary vocab = new Vocabulary(md, new Vocabulary.Defaults(glm ? -1 : 11, 11, -1, -1,
                pre.addsBosByDefault(), false, false, false));
        return new ByteLevelBpeTokenizer(vocab, pre, md);
    }
}
