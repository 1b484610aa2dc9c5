package dev.chelsea.tools.eval;

import dev.chelsea.engine.generate.Sampler;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvType;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A token sequence to evaluate on: a text file in the model's tokenization, or text the model
 * sampled itself.
 *
 * @param name   where it came from (file name, or {@code self:SEED})
 * @param tokens the tokens, BOS first when the vocabulary adds one
 */
public record EvalText(String name, int[] tokens) {

    public EvalText {
        if (tokens.length < 2) {
            throw new IllegalArgumentException(name + ": needs at least 2 tokens to predict one, got " + tokens.length);
        }
    }

    /**
     * The first {@code maxTokens} tokens of a UTF-8 text file. Control tokens written in the text
     * stay plain text. Only as much of the file as the tokens need is tokenized, so a large
     * corpus costs little.
     */
    public static EvalText fromFile(Model model, Path file, int maxTokens) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("text file not found: " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Tokenizer tok = model.tokenizer();
        // Tokens rarely cover more than 8 characters; cut generously and grow if the guess was short.
        // A cut may split a word, but only the tokens past the first maxTokens can change.
        int chars = (int) Math.min(text.length(), 8L * maxTokens + 64);
        while (true) {
            int[] ids = tok.encode(text.substring(0, chars), tok.addsBos(), false);
            if (ids.length > maxTokens + 16 || chars == text.length()) {
                return new EvalText(file.getFileName().toString(), Arrays.copyOf(ids, Math.min(ids.length, maxTokens)));
            }
            chars = (int) Math.min(text.length(), 2L * chars);
        }
    }

    /**
     * {@code length} tokens the model samples after BOS at temperature 1 with no truncation
     * (no top-k, top-p or min-p), so the text follows the model's own distribution. End-of-text
     * tokens are kept and sampling goes on after them, as in training data where documents follow
     * each other. The same seed gives the same text.
     */
    public static EvalText selfGenerated(Model model, long seed, int length) {
        int bos = model.tokenizer().bosId();
        if (bos < 0) {
            throw new IllegalArgumentException("self-generated text starts from BOS, but " + model.name() + " has no BOS token");
        }
        if (length < 2 || length > model.contextLength()) {
            throw new IllegalArgumentException("self-generated text length must be in 2.." + model.contextLength() + ", got " + length);
        }
        Sampler sampler = new Sampler(new SamplingParams(1f, 0, 1f, 0f, 1f, 0, seed));
        // Sampled over the float32 full cache, so that a seed gives the same text whatever the default KV type.
        Session session = model.newSession(KvCacheConfig.full().withKvType(KvType.F32));
        int[] tokens = new int[length];
        tokens[0] = bos;
        float[] logits = session.prefill(new int[] {bos});
        for (int i = 1; i < length; i++) {
            tokens[i] = sampler.sample(logits);
            if (i + 1 < length) {
                logits = session.decode(tokens[i]);
            }
        }
        return new EvalText("self:" + seed, tokens);
    }

    public int length() {
        return tokens.length;
    }

    /** The first {@code n} tokens (all of them when there are fewer). */
    public EvalText prefix(int n) {
        return n >= tokens.length ? this : new EvalText(name, Arrays.copyOf(tokens, n));
    }
}
