package dev.chelsea.tools.eval;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvType;
import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.Session;

import java.util.ArrayList;
import java.util.List;

/**
 * What reading a long prompt in compressed pieces ({@link KvCacheConfig#promptChunk()}) costs in
 * quality and saves in memory, against compressing it once it is read whole: each text is
 * prefilled as one prompt with the full cache (the reference), then with the policy under test,
 * and both are continued greedily. Quality is how close the policy's next-token distribution
 * after the prompt is to the full cache's (KL divergence, top-1) and how many continuation tokens
 * agree; memory is the most KV bytes held while reading the prompt.
 */
public final class PromptChunking {
    private final Model model;
    private final List<EvalText> texts;
    private final int next;
    private final KvCacheConfig fullConfig;
    private final List<Reference> references = new ArrayList<>();

    private record Reference(float[] logits, int[] continuation) {
    }

    /**
     * One configuration's figures, averaged over the texts.
     *
     * @param kl             mean KL divergence (nats) of the next-token distribution after the prompt from the full cache's
     * @param top1           fraction of texts whose most likely next token is the full cache's
     * @param greedy         fraction of the greedy continuation's tokens equal to the full cache's, position by position
     * @param peakBytes      most KV bytes held while reading a prompt (the largest over the texts)
     * @param finalBytes     KV bytes held after the prompt (mean)
     * @param prefillSeconds mean time to read a prompt, compression included
     */
    public record Score(KvCacheConfig config, double kl, double top1, double greedy, long peakBytes, double finalBytes,
                        double prefillSeconds) {
    }

    /**
     * Reads every text with the full cache once, keys and values in {@code type} (the policies'
     * own, so that the scores measure reading in pieces, not the type): the reference of every later score.
     */
    public PromptChunking(Model model, List<EvalText> texts, int next, KvType type) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to read");
        }
        if (next < 1) {
            throw new IllegalArgumentException("the continuation needs at least one token, got " + next);
        }
        this.model = model;
        this.texts = List.copyOf(texts);
        this.next = next;
        this.fullConfig = KvCacheConfig.full().withKvType(type);
        for (EvalText t : texts) {
            try (Session s = model.newSession(fullConfig)) {
                float[] logits = s.prefill(t.tokens());
                references.add(new Reference(logits, GreedyContinuation.run(s, logits, next).tokens()));
            }
        }
    }

    /** The full cache's own figures (KL 0, agreement 1) with its memory and time. */
    public Score full() {
        return score(fullConfig);
    }

    public Score score(KvCacheConfig kv) {
        double kl = 0, top1 = 0, greedy = 0, finalBytes = 0, seconds = 0;
        long peak = 0;
        int vocab = model.config().vocabSize();
        for (int i = 0; i < texts.size(); i++) {
            Reference ref = references.get(i);
            try (Session s = model.newSession(kv)) {
                long t0 = System.nanoTime();
                float[] logits = s.prefill(texts.get(i).tokens());
                seconds += (System.nanoTime() - t0) / 1e9;
                KvStats stats = s.cache().stats();
                peak = Math.max(peak, stats.peakBytes());
                finalBytes += stats.totalBytes();
                kl += klDivergence(ref.logits(), logits, vocab);
                GreedyContinuation c = GreedyContinuation.run(s, logits, next);
                top1 += c.tokens()[0] == ref.continuation()[0] ? 1 : 0;
                greedy += (double) c.matches(ref.continuation()) / next;
            }
        }
        int n = texts.size();
        return new Score(kv, kl / n, top1 / n, greedy / n, peak, finalBytes / n, seconds / n);
    }

    /** KL(p || q) in nats of the softmax distributions of two logit vectors. */
    static double klDivergence(float[] p, float[] q, int n) {
        double lp = OnlinePerplexity.logSumExp(p, 0, n), lq = OnlinePerplexity.logSumExp(q, 0, n), kl = 0;
        for (int i = 0; i < n; i++) {
            double a = p[i] - lp;
            kl += Math.exp(a) * (a - (q[i] - lq));
        }
        return Math.max(0, kl);
    }
}
