package dev.chelsea.engine.tokenizer;

/**
 * A call of a tool, as an assistant message carries it and as parsed from a model's output.
 *
 * @param id        the call's id (results refer to it), or null where the model wrote none; Mistral
 *                  templates require 9 alphanumeric characters
 * @param name      the tool's name
 * @param arguments the arguments as JSON text, normally an object ({@code "{}"} if absent)
 */
public record ToolCall(String id, String name, String arguments) {
    public ToolCall {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a tool call needs the tool's name");
        }
        arguments = arguments == null || arguments.isBlank() ? "{}" : arguments;
    }
}
