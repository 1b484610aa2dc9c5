package dev.chelsea.engine.tokenizer;

/** No chat template family matches (or the model has no template); names the families to choose from. */
public final class UnknownChatTemplateException extends IllegalArgumentException {
    public UnknownChatTemplateException(String message) {
        super(message);
    }
}
