package dev.chelsea.engine.grammar;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A compiled grammar over bytes: a deterministic pushdown automaton. The states of all rules are
 * numbered together; {@code trans[q * 256 + b]} is the state after byte {@code b} in state
 * {@code q} within its rule, {@code -1} if the rule has no such edge, or {@code -2 - c} to call
 * rule {@code c} (push {@code callReturn[c]}, go to {@code callStart[c]} and read {@code b} there).
 * A rule that cannot take a byte but may end returns to its caller, which then reads the byte.
 *
 * <p>Immutable and shared: compile once per schema ({@link JsonSchemaGrammar}, {@link ToolCallGrammar}),
 * then bind to a tokenizer with {@link GrammarConstraint#of}.
 */
public final class Grammar {
    final int[] trans;
    final int[] callStart;
    final int[] callReturn;
    final boolean[] accepting;
    /** Whether the state has any edge (a complete output that cannot grow ends generation). */
    final boolean[] hasOut;
    /** Fewest bytes from the state to the end of its own rule. */
    final int[] minComplete;
    final int[] ruleOf;
    final String[] ruleNames;
    final int start;

    Grammar(int[] trans, int[] callStart, int[] callReturn, boolean[] accepting, boolean[] hasOut, int[] minComplete,
            int[] ruleOf, String[] ruleNames, int start) {
        this.trans = trans;
        this.callStart = callStart;
        this.callReturn = callReturn;
        this.accepting = accepting;
        this.hasOut = hasOut;
        this.minComplete = minComplete;
        this.ruleOf = ruleOf;
        this.ruleNames = ruleNames;
        this.start = start;
    }

    /** Number of automaton states (all rules together). */
    public int stateCount() {
        return accepting.length;
    }

    /** Fewest bytes of a complete output. */
    public int minimumLength() {
        return minComplete[start];
    }

    /** Whether {@code text} is a complete output of this grammar. */
    public boolean accepts(String text) {
        return accepts(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether {@code text} can be continued into a complete output (or already is one). */
    public boolean acceptsPrefix(String text) {
        return acceptsPrefix(text.getBytes(StandardCharsets.UTF_8));
    }

    boolean accepts(byte[] bytes) {
        int[] end = run(bytes);
        return end != null && end.length == 1 && accepting[end[0]];
    }

    boolean acceptsPrefix(byte[] bytes) {
        return run(bytes) != null;
    }

    /** Fewest bytes that complete {@code bytes} into an output, or -1 if they are not a prefix of one. */
    int shortestCompletion(byte[] bytes) {
        int[] stack = run(bytes);
        if (stack == null) {
            return -1;
        }
        int n = 0;
        for (int q : stack) {
            n += minComplete[q];
        }
        return n;
    }

    /** Runs bytes from the start; returns the stack (return states, current state last) or null if rejected. */
    private int[] run(byte[] bytes) {
        int[] stack = new int[16];
        int depth = 0;
        int q = start;
        for (byte value : bytes) {
            int b = value & 0xFF;
            while (true) {
                int t = trans[q * 256 + b];
                if (t >= 0) {
                    q = t;
                    break;
                }
                if (t < -1) {
                    if (depth == stack.length) {
                        stack = Arrays.copyOf(stack, depth * 2);
                    }
                    stack[depth++] = callReturn[-t - 2];
                    q = callStart[-t - 2];
                } else if (accepting[q] && depth > 0) {
                    q = stack[--depth];
                } else {
                    return null;
                }
            }
        }
        // a finished output pops back to the start rule through rules that may end here
        while (depth > 0 && accepting[q]) {
            q = stack[--depth];
        }
        int[] out = Arrays.copyOf(stack, depth + 1);
        out[depth] = q;
        return out;
    }
}
