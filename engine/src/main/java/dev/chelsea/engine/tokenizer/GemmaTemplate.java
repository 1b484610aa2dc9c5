package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.strip;

/**
 * Gemma and Gemma 2: {@code <bos><start_of_turn>user\n text<end_of_turn>\n<start_of_turn>model\n...},
 * contents trimmed, the assistant called {@code model}. Gemma has no system role (its template
 * raises an error for one); a leading system message is folded into the first user turn,
 * followed by a blank line, as llama.cpp and the Gemma 3 template do. After it, roles must
 * alternate user/assistant.
 */
record GemmaTemplate(String bos) implements ChatTemplate {
    static final String BOS = "<bos>";

    @Override
    public String family() {
        return "gemma";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        String prefix = "";
        List<ChatMessage> turns = messages;
        if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
            String system = strip(messages.getFirst().content());
            prefix = system.isEmpty() ? "" : system + "\n\n";
            turns = messages.subList(1, messages.size());
            if (turns.isEmpty() && !prefix.isEmpty()) {
                throw new IllegalArgumentException("Gemma has no system role: the system message is folded into the first user turn, so a user message must follow it");
            }
        }
        StringBuilder sb = new StringBuilder(bos);
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage m = turns.get(i);
            if (m.role() == ChatMessage.Role.SYSTEM) {
                throw new IllegalArgumentException("Gemma has no system role: only a leading system message can be folded into the first user turn");
            }
            if ((m.role() == ChatMessage.Role.USER) != (i % 2 == 0)) {
                throw new IllegalArgumentException("Conversation roles must alternate user/assistant/user/assistant/...");
            }
            String role = m.role() == ChatMessage.Role.ASSISTANT ? "model" : "user";
            sb.append("<start_of_turn>").append(role).append('\n')
                    .append(i == 0 ? prefix : "").append(strip(m.content())).append("<end_of_turn>\n");
        }
        if (addGenerationPrompt) {
            sb.append("<start_of_turn>model\n");
        }
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of("<end_of_turn>", "<eos>");
    }

    @Override
    public boolean rendersBos() {
        return true;
    }
}
