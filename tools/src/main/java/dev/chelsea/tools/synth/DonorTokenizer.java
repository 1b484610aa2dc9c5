package dev.chelsea.tools.synth;

import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.gguf.GgufFormatException;
import dev.chelsea.engine.gguf.GgufValue;
import dev.chelsea.engine.gguf.GgufValueType;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code tokenizer.*} metadata of a donor GGUF file, padded to a model's vocabulary size the
 * way llama.cpp's converter pads vocabularies: placeholder tokens {@code [PAD<id>]} of type
 * UNUSED (score -1000 where there are scores). Merges and every other key are kept as they are.
 *
 * @param entries    the metadata to write, in the donor's order
 * @param donorSize  the donor's vocabulary size
 * @param size       the vocabulary size after padding ({@code max(donorSize, wanted)})
 */
record DonorTokenizer(Map<String, GgufValue> entries, int donorSize, int size) {
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TOKEN_TYPES = "tokenizer.ggml.token_type";
    /** llama.cpp's token type for vocabulary slots no text maps to. */
    static final long UNUSED = 5;
    static final float PAD_SCORE = -1000f;

    static DonorTokenizer read(Path donor, int wantedSize) {
        try (GgufFile f = GgufFile.open(donor)) {
            LinkedHashMap<String, GgufValue> entries = new LinkedHashMap<>();
            f.metadata().entries().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    entries.put(k, v);
                }
            });
            if (!entries.containsKey(TOKENS)) {
                throw new GgufFormatException(donor, "has no tokenizer (no " + TOKENS + "); use a model or vocabulary file as donor");
            }
            String[] tokens = f.metadata().getStringArray(TOKENS);
            int donorSize = tokens.length;
            int size = Math.max(donorSize, wantedSize);
            if (size > donorSize) {
                entries.put(TOKENS, new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, padTokens(tokens, size)));
                pad(entries, SCORES, donorSize, size, donor);
                pad(entries, TOKEN_TYPES, donorSize, size, donor);
            }
            return new DonorTokenizer(entries, donorSize, size);
        }
    }

    private static String[] padTokens(String[] tokens, int size) {
        Set<String> seen = new HashSet<>(Arrays.asList(tokens));
        String[] out = Arrays.copyOf(tokens, size);
        for (int i = tokens.length; i < size; i++) {
            String t = "[PAD" + i + "]";
            // a donor could already hold such a text; vocabularies need unique pieces
            while (!seen.add(t)) {
                t = t + "_";
            }
            out[i] = t;
        }
        return out;
    }

    private static void pad(Map<String, GgufValue> entries, String key, int donorSize, int size, Path donor) {
        GgufValue v = entries.get(key);
        if (v == null) {
            return;
        }
        if (!v.isArray() || v.arrayLength() != donorSize) {
            throw new GgufFormatException(donor, key + " does not have one entry per token (" + donorSize + ")");
        }
        Object padded = switch (v.value()) {
            case float[] a -> {
                float[] b = Arrays.copyOf(a, size);
                Arrays.fill(b, donorSize, size, key.equals(SCORES) ? PAD_SCORE : 0f);
                yield b;
            }
            case long[] a -> {
                long[] b = Arrays.copyOf(a, size);
                Arrays.fill(b, donorSize, size, key.equals(TOKEN_TYPES) ? UNUSED : 0L);
                yield b;
            }
            default -> throw new GgufFormatException(donor, key + " is an array of " + v.elementType() + ", which cannot be padded");
        };
        entries.put(key, new GgufValue(GgufValueType.ARRAY, v.elementType(), padded));
    }
}
