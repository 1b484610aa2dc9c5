package dev.chelsea.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Tools for templates that have no tool format of their own (Llama 3.0, ChatML, Qwen2, Phi-3,
 * Gemma, Granite, SmolLM3, DeepSeek-R1 here): the conversation is rewritten into plain messages
 * and rendered by the family's template. The tools go into the system message (after the
 * conversation's own, or as a new one) in the Hermes format that Qwen2.5 uses, which most
 * instruction-tuned models have seen; the model answers with {@link ToolCallFormat#HERMES} calls.
 * An assistant's calls become {@code <tool_call>} blocks after its text; consecutive tool results
 * become one user message of {@code <tool_response>} blocks.
 */
final class GenericToolFormat {
    static final String TOOLS_HEAD = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
    static final String TOOLS_TAIL = "\n</tools>\n\nFor each function call, return a json object with function name and arguments "
            + "within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>";

    private GenericToolFormat() {
    }

    static String render(ChatTemplate template, List<ChatMessage> messages, List<ToolDefinition> tools, boolean addGenerationPrompt) {
        TemplateStrings.requireToolConversation(messages);
        return template.render(plain(messages, tools), addGenerationPrompt);
    }

    /** The tools block as the Hermes format writes it, one tool per line. */
    static String toolsBlock(List<ToolDefinition> tools) {
        StringBuilder sb = new StringBuilder(TOOLS_HEAD);
        for (ToolDefinition t : tools) {
            sb.append('\n').append(TemplateJson.dumps(t.asTemplateValue()));
        }
        return sb.append(TOOLS_TAIL).toString();
    }

    /** {@code <tool_call>\n{"name": "..", "arguments": ..}\n</tool_call>}, the name written as is (as Qwen's templates do). */
    static String callBlock(ToolCall c) {
        return "<tool_call>\n{\"name\": \"" + c.name() + "\", \"arguments\": " + TemplateJson.arguments(c.arguments())
                + "}\n</tool_call>";
    }

    static List<ChatMessage> plain(List<ChatMessage> messages, List<ToolDefinition> tools) {
        List<ChatMessage> out = new ArrayList<>();
        List<ChatMessage> rest = messages;
        if (tools != null && !tools.isEmpty()) {
            String block = toolsBlock(tools);
            if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
                out.add(ChatMessage.system(messages.getFirst().content() + "\n\n" + block));
                rest = messages.subList(1, messages.size());
            } else {
                out.add(ChatMessage.system(block));
            }
        }
        boolean merge = false;
        for (ChatMessage m : rest) {
            if (m.hasToolCalls()) {
                List<String> parts = new ArrayList<>();
                if (!m.content().isEmpty()) {
                    parts.add(m.content());
                }
                for (ToolCall c : m.toolCalls()) {
                    parts.add(callBlock(c));
                }
                out.add(ChatMessage.assistant(String.join("\n", parts)));
                merge = false;
            } else if (m.role() == ChatMessage.Role.TOOL) {
                String text = "<tool_response>\n" + m.content() + "\n</tool_response>";
                if (merge) {
                    out.set(out.size() - 1, ChatMessage.user(out.getLast().content() + "\n" + text));
                } else {
                    out.add(ChatMessage.user(text));
                }
                merge = true;
            } else {
                out.add(m);
                merge = false;
            }
        }
        return out;
    }
}
