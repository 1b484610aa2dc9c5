package dev.chelsea.tools.eval;

import dev.chelsea.engine.tokenizer.Tokenizer;

import java.util.SplittableRandom;

/**
 * The passkey test (Landmark Attention, arXiv 2305.16300; also used by LongLoRA): a five-digit key
 * hidden at a chosen depth in repetitive filler, and a question about it at the end. Lengths are
 * counted in the model's own tokens.
 */
public final class PasskeyPrompt {
    static final String INTRO = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. "
            + "I will quiz you about the important information there.\n\n";
    /** The filler, one sentence at a time, so that the needle can sit between any two. */
    static final String[] FILLER = {"The grass is green. ", "The sky is blue. ", "The sun is yellow. ", "Here we go. ",
            "There and back again. "};
    static final String QUESTION = "\n\nWhat is the pass key?";
    static final String ANSWER_PREFIX = "The pass key is";

    private PasskeyPrompt() {
    }

    static String needle(long key) {
        return "The pass key is " + key + ". Remember it. ";
    }

    /**
     * A case of about {@code length} tokens (prompt and answer prefix, BOS included; never more)
     * with the key after {@code depth} of the filler. The key comes from {@code seed}. The
     * returned depth is the one achieved, in tokens: the filler before the needle over all filler.
     */
    public static RetrievalCase build(Tokenizer tokenizer, int length, double depth, long seed) {
        if (!(depth >= 0 && depth <= 1)) {
            throw new IllegalArgumentException("passkey depth must be in [0, 1], got " + depth);
        }
        long key = 10000 + new SplittableRandom(seed).nextInt(90000);
        int fixed = count(tokenizer, text(0, 0, key) + " " + ANSWER_PREFIX);
        if (fixed >= length) {
            throw new IllegalArgumentException("passkey length " + length + " is too short: the prompt without filler takes "
                    + fixed + " tokens");
        }
        int perFiller = Math.max(1, (int) Math.ceil(count(tokenizer, filler(0, 80)) / 80.0));
        int fillers = Math.max(0, (length - fixed) / perFiller);
        // Tokenization is not exactly additive: shrink until the whole prompt fits.
        while (fillers > 0) {
            int over = count(tokenizer, text(fillers, before(fillers, depth), key) + " " + ANSWER_PREFIX) - length;
            if (over <= 0) {
                break;
            }
            fillers = Math.max(0, fillers - Math.max(1, over / perFiller));
        }
        int before = before(fillers, depth);
        String prompt = text(fillers, before, key);
        double achieved = fillers == 0 ? depth : fillerTokenDepth(tokenizer, fillers, before);
        return new RetrievalCase("passkey-" + seed, prompt, ANSWER_PREFIX, key, achieved);
    }

    private static int before(int fillers, double depth) {
        return (int) Math.round(fillers * depth);
    }

    private static String text(int fillers, int before, long key) {
        return INTRO + filler(0, before) + needle(key) + filler(before, fillers) + QUESTION;
    }

    private static double fillerTokenDepth(Tokenizer tokenizer, int fillers, int before) {
        int intro = count(tokenizer, INTRO);
        int upToNeedle = count(tokenizer, INTRO + filler(0, before)) - intro;
        int all = count(tokenizer, INTRO + filler(0, fillers)) - intro;
        return all == 0 ? 0 : (double) upToNeedle / all;
    }

    /** Filler sentences {@code from .. to} of the endless cycle. */
    static String filler(int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            b.append(FILLER[i % FILLER.length]);
        }
        return b.toString();
    }

    private static int count(Tokenizer tokenizer, String s) {
        return tokenizer.encode(s, tokenizer.addsBos(), false).length;
    }
}
