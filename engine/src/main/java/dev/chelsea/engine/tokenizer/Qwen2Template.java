package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;

/**
 * The original Qwen2 template (as embedded in llama.cpp's Qwen2 vocabulary file): ChatML with a
 * system turn always first ("You are a helpful assistant." unless the conversation starts with
 * a system message), later system messages dropped, and every user turn followed by the opening
 * of the assistant's turn, so {@code addGenerationPrompt} changes nothing.
 */
record Qwen2Template() implements ChatTemplate {
    static final String DEFAULT_SYSTEM = "You are a helpful assistant.";

    @Override
    public String family() {
        return "qwen2";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        ChatMessage first = messages.getFirst();
        String system = first.role() == ChatMessage.Role.SYSTEM ? first.content() : DEFAULT_SYSTEM;
        StringBuilder sb = new StringBuilder("<|im_start|>system\n").append(system).append("<|im_end|>\n");
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case USER -> sb.append("<|im_start|>user\n").append(m.content()).append("<|im_end|>\n<|im_start|>assistant\n");
                case ASSISTANT -> sb.append(m.content()).append("<|im_end|>\n");
                case SYSTEM -> { }
            }
        }
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of("<|im_end|>", "<|endoftext|>");
    }
}
