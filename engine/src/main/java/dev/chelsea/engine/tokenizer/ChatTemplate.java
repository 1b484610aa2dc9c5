package dev.chelsea.engine.tokenizer;

import java.util.List;

/**
 * Turns a conversation into prompt text for one model family. Chosen from the GGUF
 * {@code tokenizer.chat_template} by recognising the family (see {@code ChatTemplates}).
 */
public interface ChatTemplate {

    /** The family's name, e.g. {@code llama3}, {@code chatml}, {@code mistral}. */
    String family();

    /**
     * The prompt for {@code messages}; with {@code addGenerationPrompt} it ends with the header
     * that opens the assistant's turn. The text may contain control tokens (encode it with
     * special-token parsing on); BOS is included only if the family's template writes it.
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** Text markers that end the assistant's turn in this family (e.g. {@code <|eot_id|>}). */
    List<String> endOfTurnMarkers();

    /**
     * The prompt for a conversation that may offer {@code tools} (empty: none) and contain tool
     * calls and tool results, written in the family's own tool format where its template has one
     * (Llama 3.1+, Qwen2.5, Qwen3, Mistral Nemo and Small 3.x; character for character as their
     * Jinja templates render it) and in the generic format otherwise (see
     * {@link #toolCallFormat()}). The model's answer is read back with {@link #toolCallFormat()}.
     *
     * @throws IllegalArgumentException where the family's template refuses the conversation (its
     *                                  message, e.g. Llama's "single tool-calls at once")
     */
    default String render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean addGenerationPrompt) {
        return GenericToolFormat.render(this, messages, tools, addGenerationPrompt);
    }

    /**
     * How the model writes tool calls in its answer: the family's own format, or
     * {@link ToolCallFormat#HERMES} ({@code <tool_call>} blocks) for the generic one.
     */
    default ToolCallFormat toolCallFormat() {
        return ToolCallFormat.HERMES;
    }

    /**
     * Whether {@link #render} writes the BOS token's text itself (as templates with
     * {@code {{ bos_token }}} do). If so, encode the prompt with special-token parsing and without
     * adding another BOS; otherwise add BOS as the tokenizer's {@code add_bos_token} says.
     */
    default boolean rendersBos() {
        return false;
    }

    /**
     * Whether control tokens written in the rendered text are parsed as such. True for real
     * templates, whose markers are control tokens; a template that renders only the users' text
     * (a fallback for base models) says false, so that "<|eot_id|>" typed by a user stays text.
     */
    default boolean parsesSpecialTokens() {
        return true;
    }
}
