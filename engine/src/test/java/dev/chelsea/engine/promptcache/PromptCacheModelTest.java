package dev.chelsea.engine.promptcache;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cached prefix and the rest of a prompt give the logits of reading the whole prompt, on the
 * real tiny model: for the full cache those of one prefill, for a compressing policy those of a
 * prompt that ended after the prefix (compressing there) and went on. Within float tolerance:
 * the batches split differently, and the threaded kernels do not fix the order of their sums
 * (two identical prefills already differ in the last bits).
 */
class PromptCacheModelTest {
    static Model model;
    static final KvCacheConfig CHELSEA = KvCacheConfig.defaults().withKeptRatio(0.5).withChunkSize(16).withRecentWindow(16);
    static final int PREFIX = 300;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.stories(), new ModelOptions(2, 512, BackendChoice.CPU));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** A document of {@value #PREFIX} tokens followed by a question. */
    static int[] prompt(String question) {
        StringBuilder doc = new StringBuilder();
        for (int i = 0; doc.length() < 4000; i++) {
            doc.append("Lily had a red ball number ").append(i).append(". She liked to play with it in the park. ");
        }
        int[] d = model.encodeText(doc.toString());
        int[] q = model.tokenizer().encode(question, false, false);
        int[] p = new int[PREFIX + q.length];
        System.arraycopy(d, 0, p, 0, PREFIX);
        System.arraycopy(q, 0, p, PREFIX, q.length);
        return p;
    }

    static float[] plainPrefill(int[] prompt, KvCacheConfig kv) {
        try (Session s = model.newSession(kv)) {
            return s.prefill(prompt);
        }
    }

    static PromptCache.Prefill cachedPrefill(PromptCache cache, int[] prompt, KvCacheConfig kv) {
        try (Session s = model.newSession(kv)) {
            return cache.prefill(s, prompt, PREFIX, kv);
        }
    }

    @Test
    void aCachedPrefixGivesTheLogitsOfAFullPrefill() {
        PromptCache cache = new PromptCache(64L << 20, 16);
        int[] first = prompt(" Where was the ball?"), second = prompt(" What color was it?");
        PromptCache.Prefill miss = cachedPrefill(cache, first, KvCacheConfig.full());
        assertEquals(0, miss.cachedTokens());
        PromptCache.Prefill hit = cachedPrefill(cache, second, KvCacheConfig.full());
        assertEquals(PREFIX, hit.cachedTokens());
        assertEquals(new PromptCache.Stats(1, 1, 1, 0, 1, cache.stats().bytes(), 64L << 20), cache.stats());
        assertClose(plainPrefill(first, KvCacheConfig.full()), miss.logits());
        assertClose(plainPrefill(second, KvCacheConfig.full()), hit.logits());
    }

    /** Sums in another order: the logits agree to 1e-4 of their largest magnitude. */
    static void assertClose(float[] expected, float[] actual) {
        float scale = 0, worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= 1e-4f * scale, "largest difference " + worst + " at logit scale " + scale);
    }

    @Test
    void underACompressingPolicyThePrefixIsCompressedAtItsEnd() {
        PromptCache cache = new PromptCache(64L << 20, 16);
        int[] first = prompt(" Where was the ball?"), second = prompt(" What color was it?");
        PromptCache.Prefill miss = cachedPrefill(cache, first, CHELSEA);
        PromptCache.Prefill hit = cachedPrefill(cache, second, CHELSEA);
        assertEquals(PREFIX, hit.cachedTokens());
        for (int[] p : List.of(first, second)) {
            float[] expected;
            try (Session s = model.newSession(CHELSEA)) {
                s.prefill(p, 0, PREFIX);
                assertTrue(s.cache().stats().slots() < (long) PREFIX * model.config().layers(), "the prefix was compressed");
                expected = s.prefill(p, PREFIX, p.length - PREFIX);
            }
            assertClose(expected, p == first ? miss.logits() : hit.logits());
        }
    }

    @Test
    void theLongestCachedPrefixWinsAndPoliciesDoNotMix() {
        PromptCache cache = new PromptCache(64L << 20, 16);
        int[] p = prompt(" Where was the ball?");
        try (Session s = model.newSession(KvCacheConfig.full())) {
            cache.prefill(s, p, 100, KvCacheConfig.full());
        }
        try (Session s = model.newSession(KvCacheConfig.full())) {
            assertEquals(100, cache.prefill(s, p, PREFIX, KvCacheConfig.full()).cachedTokens());
        }
        try (Session s = model.newSession(KvCacheConfig.full())) {
            assertEquals(PREFIX, cache.prefill(s, p, PREFIX, KvCacheConfig.full()).cachedTokens());
        }
        try (Session s = model.newSession(CHELSEA)) {
            assertEquals(0, cache.prefill(s, p, PREFIX, CHELSEA).cachedTokens(), "a full cache's prefix is not a chelsea one");
        }
        assertEquals(3, cache.stats().entries());
    }

    @Test
    void generationFromTheCacheMatchesGenerationWithout() {
        PromptCache cache = new PromptCache(64L << 20, 16);
        Generator plain = new Generator(model), cached = new Generator(model, cache);
        for (String q : List.of(" Where was the ball?", " What color was it?", " Who had it?")) {
            int[] p = prompt(q);
            GenerationRequest r = new GenerationRequest(p, SamplingParams.GREEDY, 24, List.of(), KvCacheConfig.full()).withCachePrefix(PREFIX);
            GenerationResult a = plain.generate(r, null, null), b = cached.generate(r, null, null);
            assertEquals(a.text(), b.text(), q);
        }
        assertEquals(2, cache.stats().hits());
        assertEquals(PREFIX, cached.generate(new GenerationRequest(prompt(" Why?"), SamplingParams.GREEDY, 4, List.of(),
                KvCacheConfig.full()).withCachePrefix(PREFIX), null, null).stats().cachedTokens());
    }

    @Test
    void concurrentRequestsShareOneEntryWithoutChangingIt() throws Exception {
        PromptCache cache = new PromptCache(64L << 20, 16);
        int[] p = prompt(" Where was the ball?");
        float[] reference = cachedPrefill(cache, p, CHELSEA).logits();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> runs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                runs.add(pool.submit(() -> cachedPrefill(cache, p, CHELSEA).logits()));
            }
            for (Future<float[]> f : runs) {
                assertClose(reference, f.get());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(8, cache.stats().hits());
        assertEquals(1, cache.stats().entries());
    }
}
