package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;

/**
 * Mistral Nemo ("v3-tekken"): {@code <s>[INST]user[/INST]assistant</s>[INST]...}, no spaces
 * around the markers. An optional leading system message is prepended (with a blank line) to the
 * last user message, but only while that message ends the conversation, so it disappears
 * from a conversation that ends with the assistant. Roles must alternate user/assistant after the
 * optional system message; the generation prompt is implicit ({@code [/INST]}).
 */
record MistralNemoTemplate(String bos, String eos) implements ChatTemplate {
    static final String ALTERNATION = "After the optional system message, conversation roles must alternate user/assistant/user/assistant/...";

    @Override
    public String family() {
        return "mistral-nemo";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        String system = null;
        List<ChatMessage> turns = messages;
        if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
            system = messages.getFirst().content();
            turns = messages.subList(1, messages.size());
        }
        for (int i = 0; i < turns.size(); i++) {
            if ((turns.get(i).role() == ChatMessage.Role.USER) != (i % 2 == 0)) {
                throw new IllegalArgumentException(ALTERNATION);
            }
        }
        StringBuilder sb = new StringBuilder(bos);
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage m = turns.get(i);
            switch (m.role()) {
                case USER -> {
                    sb.append("[INST]");
                    if (i == turns.size() - 1 && system != null) {
                        sb.append(system).append("\n\n");
                    }
                    sb.append(m.content()).append("[/INST]");
                }
                case ASSISTANT -> sb.append(m.content()).append(eos);
                case SYSTEM -> throw new IllegalArgumentException(
                        "Only user and assistant roles are supported, with the exception of an initial optional system message!");
            }
        }
        return sb.toString();
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
