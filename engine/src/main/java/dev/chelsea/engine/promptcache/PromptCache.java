package dev.chelsea.engine.promptcache;

import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Session;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KV caches of prompt prefixes that later requests start with (a system prompt and a document),
 * so that a follow-up question reads only its own tokens. One per model: entries are valid only
 * for the weights and the backend that computed them. Each entry is a {@linkplain KvCache#snapshot
 * snapshot} of a cache that read a prefix and ended its prompt there, so under a compressing
 * policy the prefix is compressed at its end, as a prompt of exactly those tokens would be.
 *
 * <p>Entries are keyed by the KV cache settings and the tokens; a lookup finds the longest cached
 * prefix of a prompt (a linear scan: entries are few and large, and a comparison stops at the
 * first differing token). The store is bounded by the bytes its entries hold (device memory on a
 * GPU) and evicts the least recently used. Thread-safe: entries are never changed after they are
 * stored, a request copies one into its own cache ({@link Hit#restoreInto}), and an entry evicted
 * while requests copy from it is freed when the last of them is done.
 */
public final class PromptCache implements AutoCloseable {
    private final long maxBytes;
    private final int minTokens;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits, misses, evictions, stores;
    private boolean closed;

    /**
     * @param maxBytes  most bytes the entries may hold together
     * @param minTokens shortest prefix worth an entry
     */
    public PromptCache(long maxBytes, int minTokens) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("the prompt cache needs a positive size, got " + maxBytes + " bytes");
        }
        if (minTokens < 1) {
            throw new IllegalArgumentException("the shortest cached prefix must be at least 1 token, got " + minTokens);
        }
        this.maxBytes = maxBytes;
        this.minTokens = minTokens;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public int minTokens() {
        return minTokens;
    }

    /**
     * The longest cached prefix of {@code prompt} under {@code kv}, shorter than the prompt (at
     * least one token must be read to get logits), or null: counted as a hit or a miss. The caller
     * closes the hit once it has copied it.
     */
    public synchronized Hit lookup(int[] prompt, KvCacheConfig kv) {
        Entry best = null;
        for (Entry e : entries.values()) {
            int n = e.key.tokens.length;
            if (n < prompt.length && (best == null || n > best.key.tokens.length) && e.key.kv.equals(kv)
                    && Arrays.equals(e.key.tokens, 0, n, prompt, 0, n)) {
                best = e;
            }
        }
        if (best == null) {
            misses++;
            return null;
        }
        hits++;
        entries.get(best.key); // most recently used now
        best.readers++;
        return new Hit(best);
    }

    /**
     * Whether a prefix of {@code length} tokens under {@code kv} is worth storing: long enough, and
     * not stored already.
     */
    public synchronized boolean wants(int[] prompt, int length, KvCacheConfig kv) {
        return length >= minTokens && length <= prompt.length && !closed
                && !entries.containsKey(new Key(kv, Arrays.copyOf(prompt, length)));
    }

    /**
     * Stores {@code state}, a snapshot of a cache that read exactly {@code tokens}, and takes it
     * over: it is closed when evicted, or at once when it is too large or already stored (two
     * requests with the same new prefix both compute it; the first one stored stays). Evicts the
     * least recently used entries until the bytes fit.
     */
    public void put(int[] tokens, KvCacheConfig kv, KvCache<?> state) {
        if (state.position() != tokens.length) {
            state.close();
            throw new IllegalArgumentException("a cache of " + state.position() + " tokens stored for " + tokens.length + " tokens");
        }
        Entry entry = new Entry(new Key(kv, tokens.clone()), state, sizeOf(state, tokens.length));
        List<Entry> freed = new ArrayList<>();
        synchronized (this) {
            if (closed || entry.bytes > maxBytes || entries.containsKey(entry.key)) {
                freed.add(entry);
            } else {
                entries.put(entry.key, entry);
                bytes += entry.bytes;
                stores++;
                Iterator<Entry> lru = entries.values().iterator();
                while (bytes > maxBytes) {
                    Entry victim = lru.next();
                    lru.remove();
                    bytes -= victim.bytes;
                    evictions++;
                    victim.evicted = true;
                    if (victim.readers == 0) {
                        freed.add(victim);
                    }
                }
            }
        }
        freed.forEach(e -> e.state.close());
    }

    /**
     * Reads {@code prompt} into {@code session} (a new one, under {@code kv}) as {@link Session#prefill}
     * would, starting from the longest cached prefix of it, and stores its first
     * {@code cachePrefix} tokens when they are worth it and not cached yet: the session then reads
     * up to there, ends its prompt (a compressing policy compresses the prefix as it would a
     * prompt of exactly those tokens), is snapshotted, and reads the rest. A hit and a miss
     * therefore leave the same state. Returns the logits of the last token and how many prompt
     * tokens came from the cache.
     */
    public Prefill prefill(Session session, int[] prompt, int cachePrefix, KvCacheConfig kv) {
        if (session.position() != 0) {
            throw new IllegalArgumentException("the session already holds " + session.position() + " tokens");
        }
        int keep = Math.min(cachePrefix, prompt.length - 1);
        int done = 0;
        try (Hit hit = lookup(prompt, kv)) {
            if (hit != null) {
                hit.restoreInto(session.cache());
                done = hit.length();
            }
        }
        int cached = done;
        if (keep > done && wants(prompt, keep, kv)) {
            session.feed(prompt, done, keep - done);
            session.cache().endPrefill();
            put(Arrays.copyOf(prompt, keep), kv, session.cache().snapshot());
            done = keep;
        }
        return new Prefill(session.prefill(prompt, done, prompt.length - done), cached);
    }

    /** What {@link #prefill} did: the logits of the prompt's last token, and the prompt tokens that came from the cache. */
    public record Prefill(float[] logits, int cachedTokens) {
    }

    /** Bytes an entry holds: its store (keys, values, per-slot bookkeeping) and its tokens. */
    static long sizeOf(KvCache<?> state, int tokens) {
        return state.store().footprint().total() + 4L * tokens;
    }

    public synchronized Stats stats() {
        return new Stats(hits, misses, stores, evictions, entries.size(), bytes, maxBytes);
    }

    /** The entries from least to most recently used, each with its own reader hold; close each once read. */
    synchronized List<Hit> holdAll() {
        List<Hit> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            e.readers++;
            out.add(new Hit(e));
        }
        return out;
    }

    /** Frees every entry not being read now (the others when their readers are done); the cache stores nothing afterwards. */
    @Override
    public void close() {
        List<Entry> freed = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Entry e : entries.values()) {
                e.evicted = true;
                if (e.readers == 0) {
                    freed.add(e);
                }
            }
            entries.clear();
            bytes = 0;
        }
        freed.forEach(e -> e.state.close());
    }

    private synchronized boolean release(Entry e) {
        e.readers--;
        return e.evicted && e.readers == 0;
    }

    /**
     * What the cache did so far.
     *
     * @param hits      lookups that found a cached prefix
     * @param misses    lookups that found none
     * @param stores    entries stored
     * @param evictions entries dropped to make room
     * @param entries   entries held now
     * @param bytes     bytes held now
     * @param maxBytes  the bound on {@code bytes}
     */
    public record Stats(long hits, long misses, long stores, long evictions, int entries, long bytes, long maxBytes) {
    }

    /** A cached prefix being read by one request; close it when done. */
    public final class Hit implements AutoCloseable {
        private final Entry entry;
        private boolean closed;

        private Hit(Entry entry) {
            this.entry = entry;
        }

        /** Tokens of the cached prefix. */
        public int length() {
            return entry.key.tokens.length;
        }

        int[] tokens() {
            return entry.key.tokens;
        }

        KvCacheConfig kv() {
            return entry.key.kv;
        }

        KvCache<?> state() {
            return entry.state;
        }

        /** Copies the prefix's state into {@code target}, an empty cache of the same settings (a new session's). */
        public void restoreInto(KvCache<?> target) {
            entry.state.copyStateTo(target);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (release(entry)) {
                    entry.state.close();
                }
            }
        }
    }

    private static final class Entry {
        final Key key;
        final KvCache<?> state;
        final long bytes;
        int readers;
        boolean evicted;

        Entry(Key key, KvCache<?> state, long bytes) {
            this.key = key;
            this.state = state;
            this.bytes = bytes;
        }
    }

    private record Key(KvCacheConfig kv, int[] tokens) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && kv.equals(k.kv) && Arrays.equals(tokens, k.tokens);
        }

        @Override
        public int hashCode() {
            return 31 * kv.hashCode() + Arrays.hashCode(tokens);
        }
    }
}
