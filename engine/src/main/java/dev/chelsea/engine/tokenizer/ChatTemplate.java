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
