package dev.chelsea.engine.promptcache;

import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayerImage;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPlan;
import dev.chelsea.engine.kv.KvPolicies;
import dev.chelsea.engine.kv.KvStore;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store's bookkeeping: longest prefix, LRU eviction by bytes, entries freed only once nobody reads them. */
class PromptCacheTest {
    static final KvLayout LAYOUT = new KvLayout(1, 1, 4);
    static final KvCacheConfig FULL = KvCacheConfig.full();

    /** A store that only counts: {@code slots} slots of 100 bytes each, and whether it was closed. */
    static final class CountingStore implements KvStore {
        final int slots;
        boolean closed;

        CountingStore(int slots) {
            this.slots = slots;
        }

        @Override public KvLayout layout() { return LAYOUT; }
        @Override public int slots(int layer) { return slots; }
        @Override public boolean supports(Feature feature) { return true; }
        @Override public int[] positions(int layer, int head) { return new int[slots]; }
        @Override public void apply(KvPlan plan) { }
        @Override public void setScoring(boolean on) { }
        @Override public void setPromptPhase(boolean inPrompt) { }
        @Override public void trim() { }
        @Override public Footprint footprint() { return new Footprint(50L * slots, 50L * slots, 0); }
        @Override public long bytesPerToken() { return 100; }
        @Override public void copyTo(KvStore target) { }
        @Override public void clear() { }
        @Override public void importLayer(int layer, KvLayerImage image) { }
        @Override public void close() { closed = true; }
    }

    /** A cache state standing for {@code tokens} tokens: {@code 100 * tokens + 4 * tokens} bytes in the prompt cache. */
    static KvCache<CountingStore> state(int tokens) {
        KvCache<CountingStore> c = new KvCache<>(new CountingStore(tokens), KvPolicies.create(FULL, 1), 1024);
        c.importState(tokens, false, List.of(new KvLayerImage(tokens, tokens, false, new int[1][tokens], new float[1][4 * tokens],
                new float[1][4 * tokens], null, null, 0, 0, null, null)), 0, 0);
        return c;
    }

    static int[] tokens(int n, int first) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = first + i;
        }
        return t;
    }

    @Test
    void theLongestProperPrefixUnderTheSameSettingsWins() {
        PromptCache cache = new PromptCache(1 << 20, 1);
        cache.put(tokens(3, 0), FULL, state(3));
        cache.put(tokens(6, 0), FULL, state(6));
        cache.put(tokens(5, 100), FULL, state(5));
        try (PromptCache.Hit h = cache.lookup(tokens(10, 0), FULL)) {
            assertEquals(6, h.length());
        }
        try (PromptCache.Hit h = cache.lookup(tokens(6, 0), FULL)) {
            assertEquals(3, h.length(), "a prefix as long as the prompt leaves nothing to read");
        }
        assertNull(cache.lookup(tokens(10, 1), FULL));
        assertNull(cache.lookup(tokens(10, 0), KvCacheConfig.defaults()));
        assertEquals(2, cache.stats().hits());
        assertEquals(2, cache.stats().misses());
    }

    @Test
    void theLeastRecentlyUsedAreEvictedToStayWithinTheBytes() {
        PromptCache cache = new PromptCache(3 * 1040, 1); // three entries of 10 tokens
        KvCache<CountingStore> a = state(10), b = state(10), c = state(10), d = state(10);
        cache.put(tokens(10, 0), FULL, a);
        cache.put(tokens(10, 100), FULL, b);
        cache.put(tokens(10, 200), FULL, c);
        cache.lookup(tokens(11, 0), FULL).close(); // a is now the most recently used
        cache.put(tokens(10, 300), FULL, d);
        assertTrue(b.store().closed, "the least recently used entry is evicted and freed");
        assertFalse(a.store().closed || c.store().closed || d.store().closed);
        PromptCache.Stats s = cache.stats();
        assertEquals(1, s.evictions());
        assertEquals(3, s.entries());
        assertEquals(3 * 1040, s.bytes());
        assertNull(cache.lookup(tokens(11, 100), FULL));
    }

    @Test
    void anEntryEvictedWhileBeingReadIsFreedAfterTheRead() {
        PromptCache cache = new PromptCache(1040, 1);
        KvCache<CountingStore> a = state(10);
        cache.put(tokens(10, 0), FULL, a);
        PromptCache.Hit reading = cache.lookup(tokens(12, 0), FULL);
        assertNotNull(reading);
        cache.put(tokens(10, 100), FULL, state(10));
        assertFalse(a.store().closed, "still being read");
        reading.close();
        assertTrue(a.store().closed);
        reading.close();
    }

    @Test
    void tooLargeOrDuplicateEntriesAreNotStored() {
        PromptCache cache = new PromptCache(1040, 1);
        KvCache<CountingStore> big = state(11), first = state(10), again = state(10);
        cache.put(tokens(11, 0), FULL, big);
        assertTrue(big.store().closed);
        cache.put(tokens(10, 0), FULL, first);
        assertFalse(cache.wants(tokens(12, 0), 10, FULL));
        cache.put(tokens(10, 0), FULL, again);
        assertTrue(again.store().closed);
        assertFalse(first.store().closed);
        assertEquals(1, cache.stats().stores());
        assertThrows(IllegalArgumentException.class, () -> cache.put(tokens(9, 0), FULL, state(10)));
    }

    @Test
    void shortPrefixesAreNotWorthAnEntry() {
        PromptCache cache = new PromptCache(1 << 20, 8);
        assertFalse(cache.wants(tokens(20, 0), 7, FULL));
        assertTrue(cache.wants(tokens(20, 0), 8, FULL));
        assertThrows(IllegalArgumentException.class, () -> new PromptCache(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new PromptCache(1, 0));
    }

    @Test
    void closingFreesEverythingAndStoresNothingMore() {
        PromptCache cache = new PromptCache(1 << 20, 1);
        KvCache<CountingStore> a = state(10), later = state(10);
        cache.put(tokens(10, 0), FULL, a);
        cache.close();
        assertTrue(a.store().closed);
        cache.put(tokens(10, 0), FULL, later);
        assertTrue(later.store().closed);
        assertEquals(0, cache.stats().entries());
    }
}
