package dev.chelsea.engine.tokenizer;

import java.util.List;

/**
 * One message of a conversation. An assistant message may carry tool calls (with or without
 * text); a tool message carries a tool's result for the call {@code toolCallId}.
 *
 * @param toolCalls  the assistant's tool calls (empty for other roles)
 * @param toolCallId for a tool result, the id of the call it answers (may be null)
 * @param toolName   for a tool result, the tool's name (may be null)
 */
public record ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId, String toolName) {
    public enum Role { SYSTEM, USER, ASSISTANT, TOOL }

    public ChatMessage {
        if (role == null) {
            throw new IllegalArgumentException("message role is missing");
        }
        content = content == null ? "" : content;
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
            throw new IllegalArgumentException("only assistant messages carry tool calls, not " + role);
        }
        if ((toolCallId != null || toolName != null) && role != Role.TOOL) {
            throw new IllegalArgumentException("only tool messages answer a tool call, not " + role);
        }
    }

    public ChatMessage(Role role, String content) {
        this(role, content, List.of(), null, null);
    }

    public static ChatMessage system(String text) {
        return new ChatMessage(Role.SYSTEM, text);
    }

    public static ChatMessage user(String text) {
        return new ChatMessage(Role.USER, text);
    }

    public static ChatMessage assistant(String text) {
        return new ChatMessage(Role.ASSISTANT, text);
    }

    /** An assistant turn that calls tools, after optional text. */
    public static ChatMessage assistant(String text, List<ToolCall> calls) {
        return new ChatMessage(Role.ASSISTANT, text, calls, null, null);
    }

    /** A tool's result. */
    public static ChatMessage toolResult(String toolCallId, String toolName, String result) {
        return new ChatMessage(Role.TOOL, result, List.of(), toolCallId, toolName);
    }

    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }
}
