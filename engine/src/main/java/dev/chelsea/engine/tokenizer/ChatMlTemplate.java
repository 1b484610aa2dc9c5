package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.role;

/**
 * ChatML ({@code <|im_start|>role\n text<|im_end|>\n}), contents as given. When the template has
 * a default system message (SmolLM2, ...) it opens conversations that do not start with a system
 * message. Qwen2.5, ChatML with a default system message and a tool format, is {@link Qwen25Template}.
 */
record ChatMlTemplate(String family, String defaultSystem) implements ChatTemplate {

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        StringBuilder sb = new StringBuilder();
        if (defaultSystem != null && messages.getFirst().role() != ChatMessage.Role.SYSTEM) {
            sb.append("<|im_start|>system\n").append(defaultSystem).append("<|im_end|>\n");
        }
        for (ChatMessage m : messages) {
            sb.append("<|im_start|>").append(role(m)).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        if (addGenerationPrompt) {
            sb.append("<|im_start|>assistant\n");
        }
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of("<|im_end|>", "<|endoftext|>");
    }
}
