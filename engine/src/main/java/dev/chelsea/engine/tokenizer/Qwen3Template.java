package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.afterLast;
import static dev.chelsea.engine.tokenizer.TemplateStrings.beforeFirst;
import static dev.chelsea.engine.tokenizer.TemplateStrings.lstripNewlines;
import static dev.chelsea.engine.tokenizer.TemplateStrings.requireToolConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.role;
import static dev.chelsea.engine.tokenizer.TemplateStrings.rstripNewlines;
import static dev.chelsea.engine.tokenizer.TemplateStrings.stripNewlines;

/**
 * Qwen3: ChatML without a default system message, with its reasoning handling. An assistant
 * message written as {@code <think>reasoning</think>answer} is split; the reasoning is dropped
 * from turns before the last user query and kept, in a {@code <think>} block, after it (the
 * last message always gets one, empty if need be). {@code thinking = false} ends the
 * generation prompt with an empty think block, as {@code enable_thinking=false} does. Tools as
 * in Qwen2.5 (the Hermes format), except that no default system message precedes them.
 */
record Qwen3Template(Boolean thinking) implements ChatTemplate {

    @Override
    public String family() {
        return "qwen3";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, List.of(), addGenerationPrompt);
    }

    @Override
    public String render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean addGenerationPrompt) {
        requireToolConversation(messages);
        StringBuilder sb = new StringBuilder();
        boolean leadingSystem = messages.getFirst().role() == ChatMessage.Role.SYSTEM;
        if (tools != null && !tools.isEmpty()) {
            sb.append("<|im_start|>system\n");
            if (leadingSystem) {
                sb.append(messages.getFirst().content()).append("\n\n");
            }
            sb.append(GenericToolFormat.toolsBlock(tools)).append("<|im_end|>\n");
        } else if (leadingSystem) {
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
                    for (int k = 0; k < m.toolCalls().size(); k++) {
                        if (k > 0 || !content.isEmpty()) {
                            sb.append('\n');
                        }
                        sb.append(GenericToolFormat.callBlock(m.toolCalls().get(k)));
                    }
                    sb.append("<|im_end|>\n");
                }
                case TOOL -> Qwen25Template.HermesTurns.toolResult(sb, messages, i);
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
    public ToolCallFormat toolCallFormat() {
        return ToolCallFormat.HERMES;
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of("<|im_end|>", "<|endoftext|>");
    }
}
