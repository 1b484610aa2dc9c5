package dev.chelsea.tools.eval;

import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.generate.Sampler;
import dev.chelsea.engine.model.Session;

/**
 * Greedy decoding from where a session stands, one token at a time, so that decode-time
 * compression runs exactly as in generation. End-of-text tokens do not stop it: the point is to
 * compare positions with another policy's continuation.
 *
 * @param tokens      the continuation
 * @param decodeNanos wall time of the decode steps (compression included)
 * @param decodeSteps forward passes timed: one fewer than the tokens, the first comes from the given logits
 */
public record GreedyContinuation(int[] tokens, long decodeNanos, int decodeSteps) {

    public static GreedyContinuation run(Session session, float[] logits, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("continuation length must be at least 1, got " + count);
        }
        int vocab = session.vocabularySize();
        int[] out = new int[count];
        out[0] = Ops.argmax(logits, 0, vocab);
        long t0 = System.nanoTime();
        for (int i = 1; i < count; i++) {
            float[] next = session.decode(out[i - 1]);
            out[i] = Ops.argmax(next, 0, vocab);
        }
        return new GreedyContinuation(out, System.nanoTime() - t0, count - 1);
    }

    /** Positions where this continuation has the same token as {@code reference}. */
    public int matches(int[] reference) {
        int same = 0;
        for (int i = 0; i < Math.min(tokens.length, reference.length); i++) {
            if (tokens[i] == reference[i]) {
                same++;
            }
        }
        return same;
    }

    /** Tokens before the first difference from {@code reference}. */
    public int commonPrefix(int[] reference) {
        int i = 0;
        while (i < Math.min(tokens.length, reference.length) && tokens[i] == reference[i]) {
            i++;
        }
        return i;
    }
}
