package dev.chelsea.engine.generate;

import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.model.Transformer;

/**
 * One sequence: the forward pass, its own KV cache and scratch, and the position. Not thread-safe;
 * create one per conversation or request from {@code Model.newSession}.
 */
public final class Session {
    private final Transformer transformer;
    private final KvCache cache;
    private final Transformer.Scratch scratch;
    private final int batch;
    private final int contextLength;
    private final int vocab;

    public Session(Transformer transformer, KvCache cache, int batch, int contextLength) {
        this.transformer = transformer;
        this.cache = cache;
        this.batch = batch;
        this.contextLength = contextLength;
        this.vocab = transformer.config().vocabSize();
        this.scratch = transformer.newScratch(batch);
    }

    public int position() {
        return cache.position();
    }

    public int contextLength() {
        return contextLength;
    }

    public KvCache cache() {
        return cache;
    }

    public int vocabularySize() {
        return vocab;
    }

    private void checkRoom(int n) {
        if (cache.position() + n > contextLength) {
            throw new ContextOverflowException(cache.position(), n, contextLength);
        }
    }

    /**
     * Processes a prompt in batches and tells the cache the prompt is complete (its policy may
     * compress now). Returns the logits of the last token.
     */
    public float[] prefill(int[] tokens) {
        float[] logits = feed(tokens, 0, tokens.length);
        cache.endPrefill();
        return logits;
    }

    /** Processes tokens in batches without ending the prompt; returns the logits of the last one. */
    public float[] feed(int[] tokens, int off, int n) {
        checkRoom(n);
        float[] logits = new float[vocab];
        for (int i = 0; i < n; i += batch) {
            int m = Math.min(batch, n - i);
            boolean last = i + m == n;
            transformer.forward(tokens, off + i, m, cache, scratch, last ? logits : null, last ? 1 : 0);
        }
        return logits;
    }

    /**
     * Processes tokens in batches and returns the logits at every position ({@code [n][vocab]}).
     * The cache commits after each batch, so a compressing policy works online as it grows.
     */
    public float[] feedAllLogits(int[] tokens, int off, int n, int batchSize) {
        checkRoom(n);
        int b = Math.min(batchSize, batch);
        float[] logits = new float[n * vocab];
        float[] part = new float[b * vocab];
        for (int i = 0; i < n; i += b) {
            int m = Math.min(b, n - i);
            transformer.forward(tokens, off + i, m, cache, scratch, part, m);
            System.arraycopy(part, 0, logits, i * vocab, m * vocab);
        }
        return logits;
    }

    /** Processes one generated token; returns the logits for the next. */
    public float[] decode(int token) {
        checkRoom(1);
        float[] logits = new float[vocab];
        transformer.forward(new int[] {token}, 0, 1, cache, scratch, logits, 1);
        return logits;
    }
}
