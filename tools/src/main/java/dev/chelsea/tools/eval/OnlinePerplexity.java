package dev.chelsea.tools.eval;

import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.generate.Sampler;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.kv.KvStats;

/**
 * Teacher-forced perplexity with the cache compressed online, as it would be during generation:
 * the text goes through the session in small batches, the prompt ends after the first batch
 * ({@code endPrefill}), and from then on the policy compresses whenever its decode-time trigger
 * fires after a batch. With a batch of 1 this is exactly generation. Every query attends over
 * what the policy kept at that point, never over a cache compressed once at the end.
 */
public final class OnlinePerplexity {

    /**
     * @param nll        sum of {@code -log p(token | prefix)} over the scored tokens, in nats
     * @param scored     tokens predicted: every token but the first
     * @param tokenNll   {@code -log p} of each predicted token, by the position it is predicted from
     * @param argmax     the most likely next token after each position
     * @param lastLogits logits after the last token, to continue from
     * @param stats      the cache at the end (peak bytes included)
     * @param meanBytes  KV bytes held after each batch, averaged over tokens: the memory the policy
     *                   really used, where the peak only shows its worst moment
     * @param nanos      wall time of the whole pass, compression included
     */
    public record Result(double nll, int scored, double[] tokenNll, int[] argmax, float[] lastLogits, KvStats stats, double meanBytes, long nanos) {
        public double perplexity() {
            return Math.exp(nll / scored);
        }
    }

    private OnlinePerplexity() {
    }

    public static Result run(Session session, int[] tokens, int batch) {
        int n = tokens.length;
        if (n < 2) {
            throw new IllegalArgumentException("perplexity needs at least 2 tokens, got " + n);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        if (session.position() != 0) {
            throw new IllegalArgumentException("perplexity needs a fresh session, this one is at position " + session.position());
        }
        int vocab = session.vocabularySize();
        int[] argmax = new int[n];
        double[] tokenNll = new double[n - 1];
        double nll = 0;
        double byteTokens = 0;
        float[] last = new float[vocab];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i += batch) {
            int m = Math.min(batch, n - i);
            float[] logits = session.feedAllLogits(tokens, i, m, m);
            if (i == 0) {
                session.cache().endPrefill();
            }
            for (int r = 0; r < m; r++) {
                int p = i + r;
                argmax[p] = Ops.argmax(logits, r * vocab, vocab);
                if (p + 1 < n) {
                    tokenNll[p] = -logSoftmaxAt(logits, r * vocab, vocab, tokens[p + 1]);
                    nll += tokenNll[p];
                }
            }
            if (i + m == n) {
                System.arraycopy(logits, (m - 1) * vocab, last, 0, vocab);
            }
            byteTokens += (double) session.cache().stats().totalBytes() * m;
        }
        long nanos = System.nanoTime() - t0;
        return new Result(nll, n - 1, tokenNll, argmax, last, session.cache().stats(), byteTokens / n, nanos);
    }

    /** {@code log softmax(x[off .. off + n))[target]}, in double precision. */
    public static double logSoftmaxAt(float[] x, int off, int n, int target) {
        return (double) x[off + target] - logSumExp(x, off, n);
    }

    /** {@code log sum exp(x[off .. off + n))}, in double precision, shifted by the maximum so nothing overflows. */
    public static double logSumExp(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp((double) x[off + i] - max);
        }
        return max + Math.log(sum);
    }
}
