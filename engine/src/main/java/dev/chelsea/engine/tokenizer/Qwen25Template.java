package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireToolConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.role;

/**
 * Qwen2.5: ChatML with "You are Qwen, created by Alibaba Cloud. ..." as the default system
 * message, and the Hermes tool format: the tools, one JSON line each in {@code <tools>}, with the
 * instructions after the system message; an assistant's calls as {@code <tool_call>} blocks
 * after its text; consecutive tool results as {@code <tool_response>} blocks in one user turn.
 */
record Qwen25Template() implements ChatTemplate {
    static final String DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

    @Override
    public String family() {
        return "qwen2.5";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, List.of(), addGenerationPrompt);
    }

    @Override
    public String render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean addGenerationPrompt) {
        requireToolConversation(messages);
        boolean leadingSystem = messages.getFirst().role() == ChatMessage.Role.SYSTEM;
        String system = leadingSystem ? messages.getFirst().content() : DEFAULT_SYSTEM;
        StringBuilder sb = new StringBuilder("<|im_start|>system\n").append(system);
        if (tools != null && !tools.isEmpty()) {
            sb.append("\n\n").append(GenericToolFormat.toolsBlock(tools));
        }
        sb.append("<|im_end|>\n");
        HermesTurns.append(sb, messages, leadingSystem);
        if (addGenerationPrompt) {
            sb.append("<|im_start|>assistant\n");
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

    /** The message loop Qwen2.5 and Qwen3 share: plain turns, tool calls, grouped tool results. */
    static final class HermesTurns {
        private HermesTurns() {
        }

        /** Appends the turns after the leading system message, which the caller wrote. */
        static void append(StringBuilder sb, List<ChatMessage> messages, boolean skipFirst) {
            for (int i = skipFirst ? 1 : 0; i < messages.size(); i++) {
                ChatMessage m = messages.get(i);
                if (m.role() == ChatMessage.Role.TOOL) {
                    toolResult(sb, messages, i);
                } else if (m.hasToolCalls()) {
                    sb.append("<|im_start|>assistant");
                    if (!m.content().isEmpty()) {
                        sb.append('\n').append(m.content());
                    }
                    for (ToolCall c : m.toolCalls()) {
                        sb.append('\n').append(GenericToolFormat.callBlock(c));
                    }
                    sb.append("<|im_end|>\n");
                } else {
                    sb.append("<|im_start|>").append(role(m)).append('\n').append(m.content()).append("<|im_end|>\n");
                }
            }
        }

        /** A tool result; consecutive ones share one user turn. */
        static void toolResult(StringBuilder sb, List<ChatMessage> messages, int i) {
            if (i == 0 || messages.get(i - 1).role() != ChatMessage.Role.TOOL) {
                sb.append("<|im_start|>user");
            }
            sb.append("\n<tool_response>\n").append(messages.get(i).content()).append("\n</tool_response>");
            if (i == messages.size() - 1 || messages.get(i + 1).role() != ChatMessage.Role.TOOL) {
                sb.append("<|im_end|>\n");
            }
        }
    }
}
