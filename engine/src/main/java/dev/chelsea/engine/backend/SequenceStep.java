package dev.chelsea.engine.backend;

/**
 * One sequence's part of a forward step: {@code count} tokens from {@code tokens[offset..]} at the
 * sequence's next positions. Outputs, each optional: the logits of the last {@code logitRows}
 * tokens into {@code logits} ({@code [logitRows][vocab]}), and the argmax of the last token's
 * logits into {@code argmax[0]} (computed on the device where there is one, so greedy decoding
 * copies four bytes back instead of the whole vocabulary).
 */
public record SequenceStep(Sequence sequence, int[] tokens, int offset, int count, float[] logits, int logitRows, int[] argmax) {
    public SequenceStep {
        if (count <= 0 || offset < 0 || offset + count > tokens.length) {
            throw new IllegalArgumentException("tokens [" + offset + ", " + (offset + count) + ") outside an array of " + tokens.length);
        }
        if (count > sequence.maxBatch()) {
            throw new IllegalArgumentException("a step of " + count + " tokens, the sequence takes at most " + sequence.maxBatch());
        }
        if (logits != null && (logitRows <= 0 || logitRows > count)) {
            throw new IllegalArgumentException(logitRows + " logit rows for a step of " + count + " tokens");
        }
        if (argmax != null && argmax.length < 1) {
            throw new IllegalArgumentException("argmax needs room for one token");
        }
    }

    /** A step that writes the last token's logits, or nothing when {@code logits} is null. */
    public static SequenceStep of(Sequence sequence, int[] tokens, int offset, int count, float[] logits) {
        return new SequenceStep(sequence, tokens, offset, count, logits, logits == null ? 0 : 1, null);
    }
}
