package dev.chelsea.engine.tokenizer;

import java.time.LocalDate;
import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireToolConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.role;
import static dev.chelsea.engine.tokenizer.TemplateStrings.strip;
import static dev.chelsea.engine.tokenizer.TemplateStrings.strftime;

/**
 * Llama 3 headers ({@code <|start_header_id|>role<|end_header_id|>\n\n text<|eot_id|>}), contents
 * trimmed. With {@code datedSystemHeader} (Llama 3.1, 3.2, 3.3) a system turn always comes first,
 * carrying "Cutting Knowledge Date" and "Today Date" lines before the (trimmed) system message;
 * without it (Llama 3.0) messages are rendered as given.
 *
 * <p>Tools (3.1+, the template's default {@code tools_in_user_message}): "Environment: ipython" in
 * the system turn, and the tools, as JSON indented by 4, with the instructions, in front of the
 * first message after the system message. A tool call is the whole assistant turn,
 * {@code {"name": ..., "parameters": {...}}}, one per turn; a result is an {@code ipython} turn
 * holding the result as a JSON string. Llama 3.0's template has no tools: it gets the generic format.
 */
record Llama3Template(String bos, boolean datedSystemHeader, LocalDate date) implements ChatTemplate {
    static final String BOS = "<|begin_of_text|>";

    @Override
    public String family() {
        return datedSystemHeader ? "llama3.1" : "llama3";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (datedSystemHeader) {
            return render(messages, List.of(), addGenerationPrompt);
        }
        TemplateStrings.requireConversation(messages);
        StringBuilder sb = new StringBuilder(bos);
        for (ChatMessage m : messages) {
            sb.append("<|start_header_id|>").append(role(m)).append("<|end_header_id|>\n\n")
                    .append(strip(m.content())).append("<|eot_id|>");
        }
        if (addGenerationPrompt) {
            sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
        return sb.toString();
    }

    @Override
    public String render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean addGenerationPrompt) {
        if (!datedSystemHeader) {
            return ChatTemplate.super.render(messages, tools, addGenerationPrompt);
        }
        requireToolConversation(messages);
        boolean withTools = tools != null && !tools.isEmpty();
        StringBuilder sb = new StringBuilder(bos);
        List<ChatMessage> rest = messages;
        String system = "";
        if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
            system = strip(messages.getFirst().content());
            rest = messages.subList(1, messages.size());
        }
        sb.append("<|start_header_id|>system<|end_header_id|>\n\n");
        if (withTools) {
            sb.append("Environment: ipython\n");
        }
        sb.append("Cutting Knowledge Date: December 2023\n")
                .append("Today Date: ").append(strftime(date, "%d %b %Y")).append("\n\n")
                .append(system).append("<|eot_id|>");
        if (withTools) {
            if (rest.isEmpty()) {
                throw new IllegalArgumentException("Cannot put tools in the first user message when there's no first user message!");
            }
            sb.append("<|start_header_id|>user<|end_header_id|>\n\n")
                    .append("Given the following functions, please respond with a JSON for a function call ")
                    .append("with its proper arguments that best answers the given prompt.\n\n")
                    .append("Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.")
                    .append("Do not use variables.\n\n");
            for (ToolDefinition t : tools) {
                sb.append(TemplateJson.dumps(t.asTemplateValue(), 4)).append("\n\n");
            }
            sb.append(strip(rest.getFirst().content())).append("<|eot_id|>");
            rest = rest.subList(1, rest.size());
        }
        for (ChatMessage m : rest) {
            if (m.hasToolCalls()) {
                if (m.toolCalls().size() != 1) {
                    throw new IllegalArgumentException("This model only supports single tool-calls at once!");
                }
                ToolCall c = m.toolCalls().getFirst();
                sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n")
                        .append("{\"name\": \"").append(c.name()).append("\", ")
                        .append("\"parameters\": ").append(TemplateJson.arguments(c.arguments())).append('}')
                        .append("<|eot_id|>");
            } else if (m.role() == ChatMessage.Role.TOOL) {
                // the template writes a string result through tojson (strings are iterable in Jinja)
                sb.append("<|start_header_id|>ipython<|end_header_id|>\n\n").append(TemplateJson.dumps(m.content())).append("<|eot_id|>");
            } else {
                sb.append("<|start_header_id|>").append(role(m)).append("<|end_header_id|>\n\n")
                        .append(strip(m.content())).append("<|eot_id|>");
            }
        }
        if (addGenerationPrompt) {
            sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
        return sb.toString();
    }

    @Override
    public ToolCallFormat toolCallFormat() {
        return datedSystemHeader ? ToolCallFormat.LLAMA3_JSON : ToolCallFormat.HERMES;
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
