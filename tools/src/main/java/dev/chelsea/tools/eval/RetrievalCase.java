package dev.chelsea.tools.eval;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One needle task: a long prompt hiding a number, and the number.
 *
 * @param id           a short name for reports
 * @param prompt       the whole request, question included (the user's message with a chat model)
 * @param answerPrefix text the answer starts with, written after the prompt (or after the
 *                     assistant header with a chat model) so that a base model answers in kind
 * @param expected     the number the answer must give
 * @param depth        where the needle sits, from 0 (start of the haystack) to 1 (end); NaN if unknown
 */
public record RetrievalCase(String id, String prompt, String answerPrefix, long expected, double depth) {
    private static final Pattern NUMBER = Pattern.compile("\\d+");

    public RetrievalCase {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException(id + ": empty prompt");
        }
        if (expected < 0) {
            throw new IllegalArgumentException(id + ": expected number must not be negative, got " + expected);
        }
    }

    /**
     * Whether the answer's first number is the expected one. The first number, not any: a model
     * that lists several numbers has not retrieved the right one, and a longer number that merely
     * contains the digits (24160 for 2416) is wrong.
     */
    public boolean isCorrect(String answer) {
        Matcher m = NUMBER.matcher(answer);
        if (!m.find()) {
            return false;
        }
        String digits = m.group().replaceFirst("^0+(?=\\d)", "");
        return digits.equals(Long.toString(expected));
    }
}
