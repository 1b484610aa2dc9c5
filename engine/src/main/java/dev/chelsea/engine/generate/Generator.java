package dev.chelsea.engine.generate;

import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.model.ContextOverflowException;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.promptcache.PromptCache;
import dev.chelsea.engine.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * Runs requests on a model: the prompt is prefilled in batches, then tokens are sampled one by one
 * until an end-of-generation token, a stop string, the token limit, the context length or a
 * cancellation. A request's {@link TokenConstraint} masks the logits before each sample and ends
 * generation (as {@link StopReason#STOP_TOKEN}) once its output is finished. Each call has its own
 * session, so one generator may serve several threads (they share the model's worker threads).
 * With a {@link PromptCache}, a prompt starts from the longest cached prefix and stores its
 * {@link GenerationRequest#cachePrefix()} for later requests.
 */
public final class Generator {
    private final Model model;
    private final PromptCache promptCache;

    public Generator(Model model) {
        this(model, null);
    }

    /** A generator that reuses and fills {@code promptCache} (null: none), a cache of this model's. */
    public Generator(Model model, PromptCache promptCache) {
        this.model = model;
        this.promptCache = promptCache;
    }

    /** Generates for {@code request}, sending text pieces to {@code listener} as they are decoded. */
    public GenerationResult generate(GenerationRequest request, TokenListener listener, CancellationToken cancel) {
        int[] prompt = request.promptTokens();
        int ctx = model.contextLength();
        if (prompt.length >= ctx) {
            throw new ContextOverflowException(0, prompt.length, ctx);
        }
        try (Session session = model.newSession(request.kvCache())) {
            return generate(session, request, listener, cancel);
        }
    }

    /**
     * Generates for {@code request} in {@code session}, a new session of this generator's model that
     * the caller owns (and closes): callers that watch a session's memory while it runs create it.
     */
    public GenerationResult generate(Session session, GenerationRequest request, TokenListener listener, CancellationToken cancel) {
        int[] prompt = request.promptTokens();
        int ctx = model.contextLength();
        Tokenizer tokenizer = model.tokenizer();
        int[] eog = tokenizer.endOfGenerationTokens();
        Sampler sampler = new Sampler(request.sampling());
        for (int t : prompt) {
            sampler.accept(t);
        }
        Tokenizer.StreamingDecoder decoder = tokenizer.streamingDecoder();
        StopStringMatcher stops = new StopStringMatcher(request.stopStrings());
        StringBuilder text = new StringBuilder();
        TokenConstraint constraint = request.constraint();
        TokenConstraint.State constrained = constraint == null ? null : constraint.start();
        // Plain greedy choice needs no logits on the host: the backend picks the token where the
        // logits are (on a GPU that saves copying the whole vocabulary back every step).
        boolean greedy = request.sampling().temperature() == 0f && request.sampling().repetitionPenalty() == 1f && constrained == null;
        int[] out = new int[Math.min(request.maxTokens(), ctx)];
        int generated = 0;

        long t0 = System.nanoTime();
        float[] logits;
        int cached = 0;
        if (promptCache != null) {
            PromptCache.Prefill p = promptCache.prefill(session, prompt, request.cachePrefix(), request.kvCache());
            logits = p.logits();
            cached = p.cachedTokens();
        } else {
            logits = session.prefill(prompt);
        }
        int next = -1;
        // Sampled steps write their logits here (the prefill's may be the prompt cache's own copy).
        float[] stepLogits = greedy ? null : new float[session.vocabularySize()];
        long prefillNanos = System.nanoTime() - t0;
        long decodeStart = System.nanoTime();
        StopReason reason;
        while (true) {
            if (cancel != null && cancel.isCancelled()) {
                reason = cancel.cause();
                break;
            }
            if (constrained != null) {
                // tokens still allowed, this one included: the limit, and the context (the last
                // token sampled when the context is full is never fed back)
                constrained.mask(logits, Math.min(request.maxTokens() - generated, ctx - session.position() + 1));
            }
            int token = next >= 0 ? next : sampler.sample(logits);
            if (contains(eog, token)) {
                reason = StopReason.STOP_TOKEN;
                break;
            }
            out[generated++] = token;
            sampler.accept(token);
            String piece;
            if (constrained != null) {
                constrained.accept(token);
                piece = constraint.rendersAsText(token) ? decoder.flush() + tokenizer.tokenText(token) : decoder.next(token);
            } else {
                piece = decoder.next(token);
            }
            emit(stops.push(piece), text, listener);
            if (stops.stopped()) {
                reason = StopReason.STOP_STRING;
                break;
            }
            if (constrained != null && constrained.isFinished()) {
                reason = StopReason.STOP_TOKEN;
                break;
            }
            if (generated >= request.maxTokens()) {
                reason = StopReason.MAX_TOKENS;
                break;
            }
            if (session.position() >= ctx) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            if (cancel != null && cancel.isCancelled()) {
                reason = cancel.cause();
                break;
            }
            if (greedy) {
                next = session.decodeGreedy(token);
            } else {
                logits = session.decode(token, stepLogits);
            }
        }
        long decodeNanos = generated > 1 ? System.nanoTime() - decodeStart : 0;
        if (reason != StopReason.STOP_STRING) {
            emit(stops.push(decoder.flush()), text, listener);
            emit(stops.flush(), text, listener);
        }
        KvStats kv = session.cache().stats();
        GenerationStats stats = new GenerationStats(prompt.length, generated, prefillNanos, decodeNanos, kv, cached);
        return new GenerationResult(text.toString(), Arrays.copyOf(out, generated), reason, stats);
    }

    private static void emit(String piece, StringBuilder text, TokenListener listener) {
        if (!piece.isEmpty()) {
            text.append(piece);
            if (listener != null) {
                listener.onText(piece);
            }
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }
}
