package dev.chelsea.engine.tokenizer;

import java.util.List;

/**
 * How a model family writes tool calls in its answers ({@link ChatTemplate#toolCallFormat()}),
 * and reading them back. Text around the calls is the answer's content.
 */
public enum ToolCallFormat {
    /** Llama 3.1-3.3: the whole answer is one {@code {"name": .., "parameters": {..}}} (an optional {@code <|python_tag|>} first). */
    LLAMA3_JSON(List.of("<|python_tag|>")),
    /**
     * Qwen2.5, Qwen3 and the generic format: {@code <tool_call>\n{"name": .., "arguments": {..}}\n</tool_call>},
     * one block per call, after optional text.
     */
    HERMES(List.of("<tool_call>", "</tool_call>")),
    /** Mistral Nemo: {@code [TOOL_CALLS][{"name": .., "arguments": {..}}, ..]} after optional text. */
    MISTRAL_NEMO(List.of("[TOOL_CALLS]")),
    /** Mistral Small 3.x: {@code [TOOL_CALLS]name[ARGS]{..}} per call ({@code [CALL_ID]id} may precede {@code [ARGS]}). */
    MISTRAL_SMALL(List.of("[TOOL_CALLS]", "[CALL_ID]", "[ARGS]"));

    private final List<String> markers;

    ToolCallFormat(List<String> markers) {
        this.markers = markers;
    }

    /**
     * The marker texts of this format. Vocabularies often have them as single control tokens,
     * which decode to nothing; a generation that should show them must render them as text (see
     * {@code GrammarConstraint.of(grammar, tokenizer, markers)}).
     */
    public List<String> markers() {
        return markers;
    }

    /**
     * Reads a finished answer. Malformed calls (bad JSON, no name, arguments that are not an
     * object, a call left open) are reported in {@link ToolCallParse#errors()} and their text kept
     * in the content, so that nothing the model wrote is lost.
     */
    public ToolCallParse parse(String output) {
        return ToolCallParser.parse(this, output, true);
    }

    /**
     * Reads an answer still being generated: complete calls so far, the call being written (its
     * name once complete, its arguments text so far) as {@link ToolCallParse#pending()}, and the
     * content without a trailing piece that may be the start of a marker.
     */
    public ToolCallParse parsePartial(String outputSoFar) {
        return ToolCallParser.parse(this, outputSoFar, false);
    }
}
