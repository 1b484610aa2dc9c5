package dev.chelsea.tools.eval;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvStats;

/**
 * One policy's results against the full cache, summed over texts: quality (perplexity, top-1
 * and greedy agreement, attention error, also by quarter of each text), memory and decode speed.
 * Each text adds its sums, so figures over many texts weigh every token equally.
 */
public final class PolicyScore {
    public static final int QUARTERS = 4;

    private final KvCacheConfig kv;
    private int texts;
    private double nll;
    private long scored, top1, positions, greedy, generated;
    private double commonPrefix, attentionError;
    private final double[] nllByQuarter = new double[QUARTERS];
    private final long[] scoredByQuarter = new long[QUARTERS], top1ByQuarter = new long[QUARTERS], positionsByQuarter = new long[QUARTERS];
    private long peakBytes;
    private double finalBytes, byteTokens;
    private long tokens, decodeSteps, decodeNanos, compressions;
    private double compressionMs;

    PolicyScore(KvCacheConfig kv) {
        this.kv = kv;
    }

    /**
     * Adds one text: the policy's reading of it and continuation, the full cache's (null when
     * this is the full cache), and the attention error measured on it.
     */
    void add(int[] text, OnlinePerplexity.Result read, GreedyContinuation next, OnlinePerplexity.Result fullRead,
             GreedyContinuation fullNext, double attentionError, KvStats end) {
        int n = text.length;
        texts++;
        nll += read.nll();
        scored += read.scored();
        for (int p = 0; p < read.scored(); p++) {
            nllByQuarter[QUARTERS * p / n] += read.tokenNll()[p];
            scoredByQuarter[QUARTERS * p / n]++;
        }
        for (int p = 0; p < n; p++) {
            int same = fullRead == null || read.argmax()[p] == fullRead.argmax()[p] ? 1 : 0;
            top1 += same;
            top1ByQuarter[QUARTERS * p / n] += same;
            positionsByQuarter[QUARTERS * p / n]++;
        }
        positions += n;
        int[] reference = fullNext == null ? next.tokens() : fullNext.tokens();
        greedy += next.matches(reference);
        generated += next.tokens().length;
        commonPrefix += next.commonPrefix(reference);
        this.attentionError += attentionError;
        peakBytes = Math.max(peakBytes, end.peakBytes());
        finalBytes += end.totalBytes();
        byteTokens += read.meanBytes() * n;
        tokens += n;
        decodeSteps += next.decodeSteps();
        decodeNanos += next.decodeNanos();
        compressions += end.compressions();
        compressionMs += end.compressionNanos() / 1e6;
    }

    public KvCacheConfig config() {
        return kv;
    }

    /** The kept ratio the policy ran at (1 for the full cache). */
    public double keptRatio() {
        return kv.policy().equals("full") ? 1.0 : kv.keptRatio();
    }

    public int texts() {
        return texts;
    }

    public long scoredTokens() {
        return scored;
    }

    public double perplexity() {
        return Math.exp(nll / scored);
    }

    public double perplexity(int quarter) {
        return Math.exp(nllByQuarter[quarter] / scoredByQuarter[quarter]);
    }

    /** Teacher-forced: the share of positions whose most likely next token is the full cache's. */
    public double top1Agreement() {
        return (double) top1 / positions;
    }

    public double top1Agreement(int quarter) {
        return (double) top1ByQuarter[quarter] / positionsByQuarter[quarter];
    }

    /** Free-running: the share of continuation positions whose greedy token is the full cache's. */
    public double greedyAgreement() {
        return (double) greedy / generated;
    }

    /** Mean tokens of the continuation before the first difference from the full cache's. */
    public double greedyCommonPrefix() {
        return commonPrefix / texts;
    }

    /** The attention probe's relative error, averaged over texts (0 for the full cache). */
    public double attentionError() {
        return attentionError / texts;
    }

    public long peakBytes() {
        return peakBytes;
    }

    /** Bytes held at the end of a text, averaged over texts. */
    public double finalBytes() {
        return finalBytes / texts;
    }

    /** Bytes held while reading, averaged over every token of every text. */
    public double meanBytes() {
        return byteTokens / tokens;
    }

    /** Tokens per second of the greedy continuations, compression included; NaN if none were timed. */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? Double.NaN : decodeSteps * 1e9 / decodeNanos;
    }

    public long compressions() {
        return compressions;
    }

    public double compressionMs() {
        return compressionMs;
    }
}
