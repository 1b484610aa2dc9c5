package dev.chelsea.tools.eval;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvType;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Teacher-forced perplexity on the real stories260K model, with and without online compression. */
class OnlinePerplexityTest {
    static Model model;
    static int[] text;

    @BeforeAll
    static void load() throws IOException {
        model = Model.load(Shared.stories(), new ModelOptions(1, 512, BackendChoice.CPU));
        text = EvalText.selfGenerated(model, 3, 512).tokens();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static KvCacheConfig small(String policy, double ratio) {
        return KvCacheConfig.defaults().withPolicy(policy).withKeptRatio(ratio).withChunkSize(16).withRecentWindow(16);
    }

    @Test
    void fullCachePerplexityIsTheExponentOfTheMeanNllOfAllLogits() throws IOException {
        String alice = Files.readString(Shared.resolve("data/text/books/pg11_alice_in_wonderland.txt"));
        int[] tokens = Arrays.copyOf(model.tokenizer().encode(alice.substring(0, 3000), true, false), 300);
        // Float keys and values: the batch and one-token paths then agree to float rounding (in f16
        // they differ by about 1.5e-5 of the perplexity, the order of the half kernel's sums).
        KvCacheConfig full = KvCacheConfig.full().withKvType(KvType.F32);
        // Reference: every position's logits from one pass, the log-softmax written out again here.
        float[] logits = model.newSession(full).feedAllLogits(tokens, 0, tokens.length, Integer.MAX_VALUE);
        int vocab = model.config().vocabSize();
        double nll = 0;
        for (int p = 0; p + 1 < tokens.length; p++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < vocab; i++) {
                max = Math.max(max, logits[p * vocab + i]);
            }
            for (int i = 0; i < vocab; i++) {
                sum += Math.exp(logits[p * vocab + i] - max);
            }
            nll -= logits[p * vocab + tokens[p + 1]] - max - Math.log(sum);
        }
        double expected = Math.exp(nll / (tokens.length - 1));
        OnlinePerplexity.Result r = OnlinePerplexity.run(model.newSession(full), tokens, 16);
        assertEquals(tokens.length - 1, r.scored());
        assertEquals(expected, r.perplexity(), 1e-5 * expected);
        // The book opens with a table of contents, far from TinyStories: a poor but finite fit.
        assertTrue(expected > 1.5 && Double.isFinite(expected), "perplexity " + expected);
        OnlinePerplexity.Result one = OnlinePerplexity.run(model.newSession(full), tokens, 1);
        assertEquals(expected, one.perplexity(), 1e-5 * expected, "batch 1 (generation) reads the same text");
    }

    @Test
    void chelseaAtKeptRatioOneIsTheFullCache() {
        OnlinePerplexity.Result full = OnlinePerplexity.run(model.newSession(KvCacheConfig.full()), text, 16);
        OnlinePerplexity.Result chelsea = OnlinePerplexity.run(model.newSession(small("chelsea", 1.0)), text, 16);
        assertEquals(0, chelsea.stats().compressions());
        assertEquals(full.nll(), chelsea.nll(), 0.0);
        assertArrayEquals(full.argmax(), chelsea.argmax());
    }

    @Test
    void everyPolicyCompressesWhileReadingNotOnceAtTheEnd() {
        OnlinePerplexity.Result full = OnlinePerplexity.run(model.newSession(KvCacheConfig.full()), text, 16);
        for (String policy : KvCacheConfig.POLICIES) {
            if (policy.equals("full")) {
                continue;
            }
            OnlinePerplexity.Result r = OnlinePerplexity.run(model.newSession(small(policy, 0.5)), text, 16);
            // Chelsea and SnapKV compress once a chunk of slack has built up (about every 32 tokens
            // here), streaming and H2O after every batch: many times over 512 tokens either way.
            assertTrue(r.stats().compressions() >= 8, policy + ": " + r.stats().compressions() + " compressions");
            assertTrue(r.stats().peakBytes() < full.stats().peakBytes(), policy + " peak " + r.stats().peakBytes());
            assertTrue(r.meanBytes() < 0.7 * full.meanBytes(), policy + " mean " + r.meanBytes() + " vs " + full.meanBytes());
            assertTrue(Double.isFinite(r.perplexity()) && r.nll() != full.nll(), policy);
        }
    }

    @Test
    void memoryCalibrationReplaysTheRealRunsMemoryWithoutTheModel() {
        for (String policy : KvCacheConfig.POLICIES) {
            KvCacheConfig kv = small(policy, 0.3);
            Session s = model.newSession(kv);
            OnlinePerplexity.Result r = OnlinePerplexity.run(s, Arrays.copyOf(text, 300), 16);
            GreedyContinuation.run(s, r.lastLogits(), 12);
            MemoryCalibration.Usage simulated = MemoryCalibration.usage(kv, model.kvLayout(), 300, 16, 11);
            assertEquals(s.cache().stats().peakBytes(), simulated.peakBytes(), policy);
            assertEquals(r.meanBytes(), simulated.meanBytes(), 1e-9 * r.meanBytes(), policy);
        }
        KvCacheConfig chelsea = small("chelsea", 0.3);
        MemoryCalibration.Usage limit = MemoryCalibration.usage(small("streaming", 0.3), model.kvLayout(), 300, 16, 11);
        double ratio = MemoryCalibration.matchRatio(chelsea, model.kvLayout(), 300, 16, 11, limit);
        assertTrue(ratio < 0.3, "ratio " + ratio);
        MemoryCalibration.Usage at = MemoryCalibration.usage(chelsea.withKeptRatio(ratio), model.kvLayout(), 300, 16, 11);
        assertTrue(at.peakBytes() <= limit.peakBytes() && at.meanBytes() <= limit.meanBytes(), at + " vs " + limit);
        MemoryCalibration.Usage above = MemoryCalibration.usage(chelsea.withKeptRatio(ratio + 0.01), model.kvLayout(), 300, 16, 11);
        assertTrue(above.peakBytes() > limit.peakBytes() || above.meanBytes() > limit.meanBytes(), above + " vs " + limit);
    }

    @Test
    void continuationIsGreedyAndTimed() {
        Session s = model.newSession(small("chelsea", 0.5));
        OnlinePerplexity.Result r = OnlinePerplexity.run(s, Arrays.copyOf(text, 400), 16);
        GreedyContinuation g = GreedyContinuation.run(s, r.lastLogits(), 20);
        assertEquals(20, g.tokens().length);
        assertEquals(19, g.decodeSteps());
        assertEquals(419, s.position());
        assertEquals(r.argmax()[399], g.tokens()[0]);
        assertEquals(20, g.matches(g.tokens()));
        int[] other = g.tokens().clone();
        other[5] = (other[5] + 1) % 512;
        assertEquals(19, g.matches(other));
        assertEquals(5, g.commonPrefix(other));
    }

    @Test
    void selfGeneratedTextIsReproducibleAndStartsWithBos() {
        int[] a = EvalText.selfGenerated(model, 3, 512).tokens();
        assertArrayEquals(text, a);
        assertEquals(model.tokenizer().bosId(), a[0]);
        assertFalse(Arrays.equals(a, EvalText.selfGenerated(model, 4, 512).tokens()));
        assertThrows(IllegalArgumentException.class, () -> EvalText.selfGenerated(model, 1, 513));
    }

    @Test
    void fileTextIsTheModelsTokenizationTruncated() throws IOException {
        Path book = Shared.resolve("data/text/books/pg84_frankenstein.txt");
        EvalText t = EvalText.fromFile(model, book, 700);
        assertEquals(700, t.length());
        int[] direct = model.tokenizer().encode(Files.readString(book).substring(0, 20000), true, false);
        assertArrayEquals(Arrays.copyOf(direct, 700), t.tokens());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EvalText.fromFile(model, book.resolveSibling("missing.txt"), 10));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }
}
