package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.afterLast;
import static dev.chelsea.engine.tokenizer.TemplateStrings.beforeFirst;
import static dev.chelsea.engine.tokenizer.TemplateStrings.lstripNewlines;
import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.role;
import static dev.chelsea.engine.tokenizer.TemplateStrings.rstripNewlines;
import static dev.chelsea.engine.tokenizer.TemplateStrings.stripNewlines;

/**
 * Qwen3: ChatML without a default system message, with its reasoning handling. An assistant
 * message written as {@code <think>reasoning</think>answer} is split; the reasoning is dropped
 * from turns before the last user query and kept, in a {@code <think>} block, after it (the
 * last message always gets one, empty if need be). {@code thinking = false} ends the
 * generation prompt with an empty think block, as {@code enable_thinking=false} does.
 */
record Qwen3Template(Boolean thinking) implements ChatTemplate {

    @Override
    public String family() {
        return "qwen3";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        StringBuilder sb = new StringBuilder();
        if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
            sb.append("<|im_start|>system\n").append(messages.getFirst().content()).append("<|im_end|>\n");
        }
        int lastQuery = messages.size() - 1;
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage m = messages.get(i);
            // user messages that are only a wrapped tool response do not count as queries
            if (m.role() == ChatMessage.Role.USER
                    && !(m.content().startsWith("<tool_response>") && m.content().endsWith("</tool_response>"))) {
                lastQuery = i;
                break;
            }
        }
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            switch (m.role()) {
                case USER -> sb.append("<|im_start|>user\n").append(m.content()).append("<|im_end|>\n");
                case SYSTEM -> {
                    if (i > 0) {
                        sb.append("<|im_start|>system\n").append(m.content()).append("<|im_end|>\n");
                    }
                }
                case ASSISTANT -> {
                    String content = m.content();
                    String reasoning = "";
                    if (content.contains("</think>")) {
                        reasoning = lstripNewlines(afterLast(rstripNewlines(beforeFirst(content, "</think>")), "<think>"));
                        content = lstripNewlines(afterLast(content, "</think>"));
                    }
                    boolean last = i == messages.size() - 1;
                    sb.append("<|im_start|>").append(role(m)).append('\n');
                    if (i > lastQuery && (last || !reasoning.isEmpty())) {
                        sb.append("<think>\n").append(stripNewlines(reasoning)).append("\n</think>\n\n")
                                .append(lstripNewlines(content));
                    } else {
                        sb.append(content);
                    }
                    sb.append("<|im_end|>\n");
                }
            }
        }
        if (addGenerationPrompt) {
            sb.append("<|im_start|>assistant\n");
            if (Boolean.FALSE.equals(thinking)) {
                sb.append("<think>\n\n</think>\n\n");
            }
        }
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of("<|im_end|>", "<|endoftext|>");
    }
}
