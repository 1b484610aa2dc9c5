package dev.chelsea.engine.tokenizer;

import java.util.List;
import java.util.Map;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireToolConversation;

/**
 * Mistral Nemo ("v3-tekken"): {@code <s>[INST]user[/INST]assistant</s>[INST]...}, no spaces
 * around the markers. An optional leading system message is prepended (with a blank line) to the
 * last message when that is a user message, so it disappears from a conversation that ends with
 * the assistant or a tool result. Roles must alternate user/assistant after the optional system
 * message, tool calls and results not counted; the generation prompt is implicit ({@code [/INST]}).
 *
 * <p>Tools: {@code [AVAILABLE_TOOLS][...][/AVAILABLE_TOOLS]} before the last user message (the
 * template writes string fields unescaped), calls as {@code [TOOL_CALLS][{"name": .., "arguments":
 * .., "id": ..}]</s>}, results as {@code [TOOL_RESULTS]{"content": .., "call_id": ..}[/TOOL_RESULTS]};
 * call ids must be 9 characters.
 */
record MistralNemoTemplate(String bos, String eos) implements ChatTemplate {
    static final String ALTERNATION = "After the optional system message, conversation roles must alternate user/assistant/user/assistant/...";
    static final String CALL_ID = "Tool call IDs should be alphanumeric strings with length 9!";

    @Override
    public String family() {
        return "mistral-nemo";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, List.of(), addGenerationPrompt);
    }

    @Override
    public String render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean addGenerationPrompt) {
        requireToolConversation(messages);
        String system = null;
        List<ChatMessage> turns = messages;
        if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
            system = messages.getFirst().content();
            turns = messages.subList(1, messages.size());
        }
        requireAlternation(turns);
        ChatMessage lastUser = lastUser(turns);
        StringBuilder sb = new StringBuilder(bos);
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage m = turns.get(i);
            if (m.hasToolCalls()) {
                sb.append("[TOOL_CALLS][");
                for (int k = 0; k < m.toolCalls().size(); k++) {
                    ToolCall c = m.toolCalls().get(k);
                    String function = "{\"name\": " + TemplateJson.dumps(c.name()) + ", \"arguments\": " + TemplateJson.arguments(c.arguments()) + "}";
                    sb.append(function, 0, function.length() - 1);
                    sb.append(", \"id\": \"").append(callId(c.id())).append("\"}");
                    sb.append(k < m.toolCalls().size() - 1 ? ", " : "]" + eos);
                }
                continue;
            }
            switch (m.role()) {
                case USER -> {
                    if (tools != null && !tools.isEmpty() && m.equals(lastUser)) {
                        sb.append("[AVAILABLE_TOOLS][");
                        for (int k = 0; k < tools.size(); k++) {
                            sb.append("{\"type\": \"function\", \"function\": {");
                            boolean first = true;
                            @SuppressWarnings("unchecked")
                            Map<String, Object> function = (Map<String, Object>) tools.get(k).asTemplateValue().get("function");
                            for (Map.Entry<String, Object> e : function.entrySet()) {
                                if (!first) {
                                    sb.append(", ");
                                }
                                first = false;
                                // the template quotes string values without escaping them
                                sb.append('"').append(e.getKey()).append("\": ").append(e.getValue() instanceof String str
                                        ? "\"" + str + "\"" : TemplateJson.dumps(e.getValue()));
                            }
                            sb.append("}}").append(k < tools.size() - 1 ? ", " : "]");
                        }
                        sb.append("[/AVAILABLE_TOOLS]");
                    }
                    sb.append("[INST]");
                    if (i == turns.size() - 1 && system != null) {
                        sb.append(system).append("\n\n");
                    }
                    sb.append(m.content()).append("[/INST]");
                }
                case ASSISTANT -> sb.append(m.content()).append(eos);
                case TOOL -> sb.append("[TOOL_RESULTS]{\"content\": ").append(m.content()).append(", ")
                        .append("\"call_id\": \"").append(callId(m.toolCallId())).append("\"}[/TOOL_RESULTS]");
                case SYSTEM -> throw new IllegalArgumentException(
                        "Only user and assistant roles are supported, with the exception of an initial optional system message!");
            }
        }
        return sb.toString();
    }

    /** User and assistant turns alternate, starting with the user; tool calls and results do not count. */
    static void requireAlternation(List<ChatMessage> turns) {
        int index = 0;
        for (ChatMessage m : turns) {
            if (m.role() == ChatMessage.Role.TOOL || m.hasToolCalls()) {
                continue;
            }
            if ((m.role() == ChatMessage.Role.USER) != (index % 2 == 0)) {
                throw new IllegalArgumentException(ALTERNATION);
            }
            index++;
        }
    }

    /** The last user message; the template offers the tools before every message equal to it. */
    static ChatMessage lastUser(List<ChatMessage> turns) {
        ChatMessage last = null;
        for (ChatMessage m : turns) {
            if (m.role() == ChatMessage.Role.USER) {
                last = m;
            }
        }
        return last;
    }

    /** Mistral's call ids: 9 characters, as both templates insist. */
    static String callId(String id) {
        if (id == null || id.length() != 9) {
            throw new IllegalArgumentException(CALL_ID);
        }
        return id;
    }

    @Override
    public ToolCallFormat toolCallFormat() {
        return ToolCallFormat.MISTRAL_NEMO;
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of(eos);
    }

    @Override
    public boolean rendersBos() {
        return true;
    }
}
