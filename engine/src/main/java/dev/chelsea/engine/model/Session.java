package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.Backend;
import dev.chelsea.engine.backend.Sequence;
import dev.chelsea.engine.backend.SequenceStep;
import dev.chelsea.engine.kv.KvCache;

import java.util.List;

/**
 * One conversation: a sequence on the model's backend (its own KV cache and working memory) and
 * its position. Not thread-safe; create one per conversation or request from
 * {@link Model#newSession}, and close it when done.
 */
public final class Session implements AutoCloseable {
    private final Backend backend;
    private final StepGate gate;
    private final Sequence sequence;
    private final int contextLength;
    private final int vocab;
    private final int promptChunk;

    Session(Backend backend, StepGate gate, Sequence sequence, int contextLength, int vocab, int promptChunk) {
        this.backend = backend;
        this.gate = gate;
        this.sequence = sequence;
        this.contextLength = Math.min(contextLength, sequence.cache().maxTokens());
        this.vocab = vocab;
        this.promptChunk = promptChunk;
    }

    public int position() {
        return sequence.cache().position();
    }

    /** Tokens this session may hold: the model's context, or the tokens a full KV cache's limit in bytes holds when fewer. */
    public int contextLength() {
        return contextLength;
    }

    public KvCache<?> cache() {
        return sequence.cache();
    }

    public int vocabularySize() {
        return vocab;
    }

    private void checkRoom(int n) {
        if (position() + n > contextLength) {
            throw sequence.cache().limitedByBytes()
                    ? new ContextOverflowException(position(), n, contextLength, "the tokens that fit in the KV cache's max-bytes")
                    : new ContextOverflowException(position(), n, contextLength);
        }
    }

    /**
     * Processes a prompt in batches and tells the cache the prompt is complete (its policy may
     * compress now). Returns the logits of the last token. With a prompt chunk configured
     * ({@link dev.chelsea.engine.kv.KvCacheConfig#promptChunk()}), the cache is compressed after
     * every piece of that many tokens, so a prompt longer than the budget never sits whole in memory.
     */
    public float[] prefill(int[] tokens) {
        return prefill(tokens, 0, tokens.length);
    }

    /**
     * Processes {@code n} prompt tokens from {@code off} (the rest of a prompt whose start the
     * cache already holds, for instance) and ends the prompt; returns the logits of the last token.
     * Read in pieces of the prompt chunk, compressing after each, when one is configured.
     */
    public float[] prefill(int[] tokens, int off, int n) {
        checkRoom(n);
        int piece = promptChunk > 0 ? promptChunk : Integer.MAX_VALUE;
        int start = off, end = off + n;
        while (end - start > piece) {
            feed(tokens, start, piece);
            gate.run(sequence.cache()::compressPrompt);
            start += piece;
        }
        float[] logits = feed(tokens, start, end - start);
        gate.run(sequence.cache()::endPrefill);
        return logits;
    }

    /**
     * Processes tokens in batches without ending the prompt; returns the logits of the last one.
     * Under a limit in bytes a batch takes at most the slots left, and once none is left the cache
     * is compressed first ({@link KvCache#makeRoom}), so a long prompt is read in pieces that keep
     * the KV under it.
     */
    public float[] feed(int[] tokens, int off, int n) {
        checkRoom(n);
        float[] logits = new float[vocab];
        int batch = sequence.maxBatch();
        for (int i = 0, m; i < n; i += m) {
            m = batchAt(Math.min(batch, n - i));
            boolean last = i + m == n;
            step(SequenceStep.of(sequence, tokens, off + i, m, last ? logits : null));
        }
        return logits;
    }

    /** The next batch of at most {@code n} tokens: what fits in the cache, after compressing it if that makes room. */
    private int batchAt(int n) {
        return Math.max(1, Math.min(n, gate.run(sequence.cache()::makeRoom)));
    }

    /**
     * Processes tokens in batches and returns the logits at every position ({@code [n][vocab]}).
     * The cache commits after each batch, so a compressing policy works online as it grows.
     */
    public float[] feedAllLogits(int[] tokens, int off, int n, int batchSize) {
        checkRoom(n);
        int b = Math.min(batchSize, sequence.maxBatch());
        float[] logits = new float[n * vocab];
        float[] part = new float[b * vocab];
        for (int i = 0, m; i < n; i += m) {
            m = batchAt(Math.min(b, n - i));
            step(new SequenceStep(sequence, tokens, off + i, m, part, m, null));
            System.arraycopy(part, 0, logits, i * vocab, m * vocab);
        }
        return logits;
    }

    /** Processes one generated token; returns the logits for the next. */
    public float[] decode(int token) {
        return decode(token, new float[vocab]);
    }

    /**
     * As {@link #decode(int)}, writing the logits into {@code logits} (exactly the vocabulary's
     * size) and returning it: a generation loop reuses one array instead of touching a
     * vocabulary's worth of fresh memory every token.
     */
    public float[] decode(int token, float[] logits) {
        if (logits.length != vocab) {
            throw new IllegalArgumentException("logits of length " + logits.length + " for a vocabulary of " + vocab);
        }
        checkRoom(1);
        step(SequenceStep.of(sequence, new int[]{token}, 0, 1, logits));
        return logits;
    }

    /**
     * Processes one generated token and returns the most likely next one (lowest id on ties),
     * chosen on the backend's device: greedy decoding without copying the logits back.
     */
    public int decodeGreedy(int token) {
        checkRoom(1);
        int[] next = new int[1];
        step(new SequenceStep(sequence, new int[]{token}, 0, 1, null, 0, next));
        return next[0];
    }

    private void step(SequenceStep step) {
        gate.run(() -> backend.forward(List.of(step)));
    }

    /** Frees the sequence's KV cache and working memory (after the model's close, its backend has freed them). */
    @Override
    public void close() {
        gate.runIfOpen(sequence::close);
    }
}
