package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.afterLast;
import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;

/**
 * DeepSeek-R1 and its distills: BOS, then the system prompt as plain text (the last system
 * message wins), then {@code <｜User｜>text} and {@code <｜Assistant｜>answer<｜end▁of▁sentence｜>}
 * turns; an assistant's reasoning (up to {@code </think>}) is dropped. The generation prompt is
 * {@code <｜Assistant｜>}, followed by {@code <think>\n} where the template opens the reasoning.
 * Templates that read {@code enable_thinking} close it again ({@code </think>}) unless thinking
 * is switched on, which is also what they do when the variable is not passed.
 */
record DeepSeekR1Template(String bos, boolean opensThink, boolean closesThinkUnlessEnabled, Boolean thinking)
        implements ChatTemplate {
    static final String BOS = "<｜begin▁of▁sentence｜>";
    static final String END = "<｜end▁of▁sentence｜>";

    @Override
    public String family() {
        return "deepseek-r1";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        String system = "";
        for (ChatMessage m : messages) {
            if (m.role() == ChatMessage.Role.SYSTEM) {
                system = m.content();
            }
        }
        StringBuilder sb = new StringBuilder(bos).append(system);
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case USER -> sb.append("<｜User｜>").append(m.content());
                case ASSISTANT -> sb.append("<｜Assistant｜>").append(afterLast(m.content(), "</think>")).append(END);
                case SYSTEM -> { }
            }
        }
        if (addGenerationPrompt) {
            sb.append("<｜Assistant｜>");
            if (opensThink) {
                sb.append("<think>\n");
            }
            if (closesThinkUnlessEnabled && !Boolean.TRUE.equals(thinking)) {
                sb.append("</think>");
            }
        }
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of(END);
    }

    @Override
    public boolean rendersBos() {
        return true;
    }
}
