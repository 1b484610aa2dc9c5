package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;

/**
 * Phi-3 turns ({@code <|user|>\n text<|end|>\n}). Two variants:
 * <ul>
 * <li>Phi-3.5 (and later Phi-3 releases): system turns when not empty, the generation prompt
 *     {@code <|assistant|>\n}, or EOS when there is none.</li>
 * <li>the first Phi-3 template ({@code legacy}, as in llama.cpp's Phi-3 vocabulary file): BOS,
 *     no system turns, and every user turn followed by {@code <|assistant|>\n}, so
 *     {@code addGenerationPrompt} changes nothing.</li>
 * </ul>
 */
record Phi3Template(boolean legacy, String bos, String eos) implements ChatTemplate {
    static final String BOS = "<s>";
    static final String EOS = "<|endoftext|>";

    @Override
    public String family() {
        return legacy ? "phi3" : "phi3.5";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        StringBuilder sb = new StringBuilder();
        if (legacy) {
            sb.append(bos);
            for (ChatMessage m : messages) {
                switch (m.role()) {
                    case USER -> sb.append("<|user|>\n").append(m.content()).append("<|end|>\n<|assistant|>\n");
                    case ASSISTANT -> sb.append(m.content()).append("<|end|>\n");
                    case SYSTEM -> { }
                }
            }
            return sb.toString();
        }
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> {
                    if (!m.content().isEmpty()) {
                        sb.append("<|system|>\n").append(m.content()).append("<|end|>\n");
                    }
                }
                case USER -> sb.append("<|user|>\n").append(m.content()).append("<|end|>\n");
                case ASSISTANT -> sb.append("<|assistant|>\n").append(m.content()).append("<|end|>\n");
            }
        }
        sb.append(addGenerationPrompt ? "<|assistant|>\n" : eos);
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of("<|end|>", "<|endoftext|>");
    }

    @Override
    public boolean rendersBos() {
        return legacy;
    }
}
