package dev.chelsea.engine.tokenizer;

import java.time.LocalDate;
import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.role;
import static dev.chelsea.engine.tokenizer.TemplateStrings.strip;
import static dev.chelsea.engine.tokenizer.TemplateStrings.strftime;

/**
 * Llama 3 headers ({@code <|start_header_id|>role<|end_header_id|>\n\n text<|eot_id|>}), contents
 * trimmed. With {@code datedSystemHeader} (Llama 3.1, 3.2, 3.3) a system turn always comes first,
 * carrying "Cutting Knowledge Date" and "Today Date" lines before the (trimmed) system message;
 * without it (Llama 3.0) messages are rendered as given.
 */
record Llama3Template(String bos, boolean datedSystemHeader, LocalDate date) implements ChatTemplate {
    static final String BOS = "<|begin_of_text|>";

    @Override
    public String family() {
        return datedSystemHeader ? "llama3.1" : "llama3";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        StringBuilder sb = new StringBuilder(bos);
        List<ChatMessage> rest = messages;
        if (datedSystemHeader) {
            String system = "";
            if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
                system = strip(messages.getFirst().content());
                rest = messages.subList(1, messages.size());
            }
            sb.append("<|start_header_id|>system<|end_header_id|>\n\n")
                    .append("Cutting Knowledge Date: December 2023\n")
                    .append("Today Date: ").append(strftime(date, "%d %b %Y")).append("\n\n")
                    .append(system).append("<|eot_id|>");
        }
        for (ChatMessage m : rest) {
            sb.append("<|start_header_id|>").append(role(m)).append("<|end_header_id|>\n\n")
                    .append(strip(m.content())).append("<|eot_id|>");
        }
        if (addGenerationPrompt) {
            sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>");
    }

    @Override
    public boolean rendersBos() {
        return true;
    }
}
