package dev.chelsea.engine.tokenizer;

import java.util.List;

/**
 * What {@link ToolCallFormat#parse} read from an answer.
 *
 * @param content the text outside the calls, trimmed
 * @param calls   the well-formed calls, in order (ids as the model wrote them, else null)
 * @param pending for a partial answer, the call being written; else null
 * @param errors  one line per malformed call
 */
public record ToolCallParse(String content, List<ToolCall> calls, PendingCall pending, List<String> errors) {
    public ToolCallParse {
        calls = List.copyOf(calls);
        errors = List.copyOf(errors);
    }

    /**
     * A call still being written.
     *
     * @param name      the tool's name, or null until it is complete
     * @param arguments the arguments' JSON text so far (empty until they start)
     */
    public record PendingCall(String name, String arguments) {
    }

    public boolean hasCalls() {
        return !calls.isEmpty();
    }
}
