package dev.chelsea.engine.promptcache;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayerImage;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.chelsea.engine.promptcache.PromptCacheModelTest.CHELSEA;
import static dev.chelsea.engine.promptcache.PromptCacheModelTest.PREFIX;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saving and loading a prompt cache: the same states come back, and a file that does not fit is refused with the reason. */
class PromptCacheFileTest {
    static Model model;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        PromptCacheModelTest.load();
        model = PromptCacheModelTest.model;
    }

    @AfterAll
    static void close() {
        PromptCacheModelTest.close();
    }

    /** A cache with the document prefix under the full cache and under chelsea (compressed, merged slots). */
    static PromptCache filled() {
        PromptCache cache = new PromptCache(64L << 20, 16);
        for (KvCacheConfig kv : List.of(KvCacheConfig.full(), CHELSEA)) {
            try (Session s = model.newSession(kv)) {
                cache.prefill(s, PromptCacheModelTest.prompt(" Where was the ball?"), PREFIX, kv);
            }
        }
        return cache;
    }

    @Test
    void aSavedCacheLoadsWithTheSameStates() throws IOException {
        PromptCache saved = filled();
        Path file = dir.resolve("stories.chpc");
        assertEquals(2, PromptCacheFile.save(saved, model, file));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left");
        }
        PromptCache loaded = new PromptCache(64L << 20, 16);
        assertEquals(new PromptCacheFile.LoadResult(2, null), PromptCacheFile.load(loaded, model, file));
        assertEquals(saved.stats().bytes(), loaded.stats().bytes());
        List<PromptCache.Hit> a = saved.holdAll(), b = loaded.holdAll();
        for (int e = 0; e < 2; e++) {
            assertEquals(a.get(e).kv(), b.get(e).kv());
            assertArrayEquals(a.get(e).tokens(), b.get(e).tokens());
            assertEquals(a.get(e).state().position(), b.get(e).state().position());
            assertEquals(a.get(e).state().inPrompt(), b.get(e).state().inPrompt());
            assertEquals(a.get(e).state().stats().compressions(), b.get(e).state().stats().compressions());
            for (int l = 0; l < model.config().layers(); l++) {
                assertSame(a.get(e).state().store().exportLayer(l), b.get(e).state().store().exportLayer(l));
            }
        }
        assertTrue(a.get(1).state().store().exportLayer(0).merged(), "the chelsea entry holds merged slots");
        a.forEach(PromptCache.Hit::close);
        b.forEach(PromptCache.Hit::close);
        int[] question = PromptCacheModelTest.prompt(" What color was it?");
        for (KvCacheConfig kv : List.of(KvCacheConfig.full(), CHELSEA)) {
            PromptCache.Prefill before = PromptCacheModelTest.cachedPrefill(saved, question, kv);
            PromptCache.Prefill after = PromptCacheModelTest.cachedPrefill(loaded, question, kv);
            assertEquals(PREFIX, after.cachedTokens());
            PromptCacheModelTest.assertClose(before.logits(), after.logits());
        }
    }

    static void assertSame(KvLayerImage x, KvLayerImage y) {
        assertEquals(x.slots(), y.slots());
        assertEquals(x.tokens(), y.tokens());
        assertEquals(x.merged(), y.merged());
        for (int h = 0; h < x.keys().length; h++) {
            assertArrayEquals(x.positions()[h], y.positions()[h]);
            assertArrayEquals(x.keys()[h], y.keys()[h]);
            assertArrayEquals(x.values()[h], y.values()[h]);
            if (x.sizes() != null) {
                assertArrayEquals(x.sizes()[h], y.sizes()[h]);
            }
        }
    }

    @Test
    void aFileForAnotherModelIsRefused() throws IOException {
        Path file = dir.resolve("stories.chpc");
        PromptCacheFile.save(filled(), model, file);
        try (Model other = Model.load(Shared.resolve("models/synthetic/llama-f32.gguf"), new ModelOptions(1, 64, BackendChoice.CPU))) {
            PromptCache cache = new PromptCache(64L << 20, 16);
            PromptCacheFile.LoadResult r = PromptCacheFile.load(cache, other, file);
            assertFalse(r.loaded());
            assertTrue(r.problem().contains("another model"), r.problem());
            assertEquals(0, cache.stats().entries());
        }
    }

    @Test
    void damagedFilesAreRefusedWithTheReason() throws IOException {
        Path file = dir.resolve("stories.chpc");
        PromptCacheFile.save(filled(), model, file);
        byte[] good = Files.readAllBytes(file);
        assertRefused(file, flip(good, good.length / 2), "checksum");
        assertRefused(file, Arrays.copyOf(good, good.length - 1000), "truncated");
        byte[] version = good.clone();
        ByteBuffer.wrap(version).putInt(PromptCacheFile.MAGIC.length, 99);
        assertRefused(file, version, "version 99");
        assertRefused(file, "hello, this is not a cache file at all".getBytes(), "not a prompt cache file");
        assertEquals(new PromptCacheFile.LoadResult(0, null), PromptCacheFile.load(new PromptCache(1 << 20, 1), model, dir.resolve("missing.chpc")));
    }

    private static byte[] flip(byte[] b, int at) {
        byte[] c = b.clone();
        c[at] ^= 0x10;
        return c;
    }

    private static void assertRefused(Path file, byte[] content, String reason) throws IOException {
        Files.write(file, content);
        PromptCache cache = new PromptCache(64L << 20, 16);
        PromptCacheFile.LoadResult r = PromptCacheFile.load(cache, model, file);
        assertFalse(r.loaded(), reason);
        assertTrue(r.problem().contains(reason), r.problem());
        assertEquals(0, cache.stats().entries());
    }
}
