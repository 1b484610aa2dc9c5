package dev.chelsea.langchain4j;

import dev.langchain4j.exception.InvalidRequestException;

/** The conversation does not fit the model's context window (or the tokens a full KV cache's {@code max-bytes} holds). */
public class ChelseaPromptTooLongException extends InvalidRequestException {
    private final int promptTokens;
    private final int contextLength;

    public ChelseaPromptTooLongException(int promptTokens, int contextLength) {
        super("the prompt has " + promptTokens + " tokens but the model's context holds " + contextLength
                + " (including the answer): shorten the conversation or raise the context length");
        this.promptTokens = promptTokens;
        this.contextLength = contextLength;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextLength() {
        return contextLength;
    }
}
