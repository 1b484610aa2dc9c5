package dev.chelsea.engine.generate;

import dev.chelsea.engine.kernel.Ops;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: repetition penalty, then top-k, top-p and min-p over the
 * softmax at the given temperature, then a draw from a seeded generator. Temperature 0 takes the
 * most likely token (lowest id on ties), so greedy decoding is deterministic.
 */
public final class Sampler {
    private final SamplingParams p;
    private final SplittableRandom random;
    private final int[] recent;
    private int recentCount;
    private int recentNext;

    public Sampler(SamplingParams params) {
        this.p = params;
        this.random = new SplittableRandom(params.seed());
        this.recent = new int[Math.max(1, params.repetitionWindow())];
    }

    /** Remembers a token for the repetition penalty (prompt tokens included). */
    public void accept(int token) {
        if (p.repetitionWindow() == 0) {
            return;
        }
        recent[recentNext] = token;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /** Chooses a token; {@code logits} may be modified. */
    public int sample(float[] logits) {
        if (p.repetitionPenalty() != 1f) {
            applyPenalty(logits);
        }
        if (p.temperature() == 0f) {
            return Ops.argmax(logits, 0, logits.length);
        }
        int n = logits.length;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        int keep = n;
        if (p.topK() > 0 && p.topK() < n) {
            keep = p.topK();
        }
        // Sort candidates by logit, descending; a full sort of a 128K vocabulary costs a few ms,
        // so partially select when top-k is set.
        int[] sorted = sortDescending(logits, idx, keep);
        double max = logits[sorted[0]];
        double[] prob = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            prob[i] = Math.exp((logits[sorted[i]] - max) / p.temperature());
            sum += prob[i];
        }
        for (int i = 0; i < keep; i++) {
            prob[i] /= sum;
        }
        if (p.topP() < 1f) {
            double cum = 0;
            int k = 0;
            while (k < keep) {
                cum += prob[k++];
                if (cum >= p.topP()) {
                    break;
                }
            }
            keep = Math.max(1, k);
        }
        if (p.minP() > 0f) {
            double threshold = prob[0] * p.minP();
            int k = 1;
            while (k < keep && prob[k] >= threshold) {
                k++;
            }
            keep = k;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += prob[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= prob[i];
            if (r <= 0) {
                return sorted[i];
            }
        }
        return sorted[keep - 1];
    }

    private void applyPenalty(float[] logits) {
        boolean[] seen = new boolean[logits.length];
        for (int i = 0; i < recentCount; i++) {
            int t = recent[i];
            if (t >= 0 && t < logits.length && !seen[t]) {
                seen[t] = true;
                logits[t] = logits[t] > 0 ? logits[t] / p.repetitionPenalty() : logits[t] * p.repetitionPenalty();
            }
        }
    }

    /** The greedy choice: index of the largest logit, the lowest on ties. */
    /** The {@code k} highest-logit ids in descending order (ties by lower id first). */
    private static int[] sortDescending(float[] logits, int[] idx, int k) {
        long[] keys = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            // Order by logit descending, then id ascending, packed into one sortable long.
            int bits = Float.floatToIntBits(logits[i]);
            int sortable = bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
            keys[i] = ((long) ~sortable << 32) | (i & 0xFFFFFFFFL);
        }
        Arrays.sort(keys);
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = (int) keys[i];
        }
        return out;
    }
}
