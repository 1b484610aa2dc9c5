package dev.chelsea.engine.kv;

import dev.chelsea.engine.backend.cpu.CpuKvStore;

import org.junit.jupiter.api.Test;

import static dev.chelsea.engine.kv.KvTestSupport.newCache;
import static dev.chelsea.engine.kv.KvTestSupport.SERIAL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Copying a read prompt into another policy's cache (how bench reads a long context once for several policies). */
class FullKvCacheCopyTest {
    static final KvLayout LAYOUT = new KvLayout(2, 2, 8);

    @Test
    void aCopiedPromptCompressesExactlyLikeAReadOne() {
        KvTestSupport.Tokens prompt = KvTestSupport.randomTokens(LAYOUT, 700, 3);
        KvCache<CpuKvStore> source = newCache(KvCacheConfig.full(), LAYOUT, 800);
        KvTestSupport.feed(source, prompt.slice(LAYOUT, 0, 300));
        KvTestSupport.feed(source, prompt.slice(LAYOUT, 300, 400));
        KvCacheConfig kv = KvCacheConfig.defaults().withKeptRatio(0.25).withChunkSize(16).withRecentWindow(16);
        KvCache<CpuKvStore> read = newCache(kv, LAYOUT, 800), copied = newCache(kv, LAYOUT, 800);
        KvTestSupport.feed(read, prompt);
        source.copyPromptTo(copied);
        assertEquals(700, copied.position());
        assertEquals(700, copied.slots(1));
        assertEquals(0, copied.stats().compressions(), "copying does not end the prompt");
        read.endPrefill();
        copied.endPrefill();
        assertEquals(read.stats().slots(), copied.stats().slots());
        float[] q = KvTestSupport.randomQueries(1, 4, 8, 1, 5);
        for (int l = 0; l < LAYOUT.layers(); l++) {
            float[] a = new float[4 * 8], b = new float[4 * 8];
            KvTestSupport.Tokens next = KvTestSupport.randomTokens(LAYOUT, 1, 9 + l);
            read.store().append(l, next.k()[l], next.v()[l], 1);
            copied.store().append(l, next.k()[l], next.v()[l], 1);
            read.store().attend(l, q, 1, 4, a);
            copied.store().attend(l, q, 1, 4, b);
            assertArrayEquals(a, b, "layer " + l);
        }
    }

    @Test
    void refusesATargetThatIsNotEmptyOrHasAnotherShape() {
        KvCache<CpuKvStore> source = newCache(KvCacheConfig.full(), LAYOUT, 64);
        KvTestSupport.feed(source, KvTestSupport.randomTokens(LAYOUT, 8, 1));
        KvCache<CpuKvStore> busy = newCache(KvCacheConfig.full(), LAYOUT, 64);
        KvTestSupport.feed(busy, KvTestSupport.randomTokens(LAYOUT, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> source.copyPromptTo(busy));
        assertThrows(IllegalArgumentException.class, () -> source.copyPromptTo(newCache(KvCacheConfig.full(), new KvLayout(2, 1, 8), 64)));
    }
}
