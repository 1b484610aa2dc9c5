package dev.chelsea.langchain4j;

import dev.chelsea.engine.tokenizer.ChatMessage;
import dev.chelsea.engine.tokenizer.ChatTemplate;

import java.util.List;

/**
 * The fallback for base models that have no chat template (such as stories260K): the messages'
 * texts joined by newlines, without role markers, so the model simply continues the text. A
 * conversation therefore reads as one document; that is the only thing a base model understands.
 */
public final class PlainChatTemplate implements ChatTemplate {
    public static final String FAMILY = "plain";
    public static final PlainChatTemplate INSTANCE = new PlainChatTemplate();

    private PlainChatTemplate() {
    }

    @Override
    public String family() {
        return FAMILY;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) {
            if (m.content().isEmpty()) {
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(m.content());
        }
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of();
    }

    /** The text is the users' own: a control token typed by a user stays text. */
    @Override
    public boolean parsesSpecialTokens() {
        return false;
    }
}
