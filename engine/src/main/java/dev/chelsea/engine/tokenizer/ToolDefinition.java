package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.json.Json;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tool offered to the model: its name, what it does, and a JSON Schema for its arguments.
 *
 * @param parameters the arguments' JSON Schema as parsed JSON (maps keep their order, which the
 *                   prompt shows), or null for a tool without a schema
 */
public record ToolDefinition(String name, String description, Map<String, Object> parameters) {
    public ToolDefinition {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a tool needs a name");
        }
        parameters = parameters == null ? null : new LinkedHashMap<>(parameters);
    }

    /** A tool whose parameter schema is given as JSON text (null for none). */
    public static ToolDefinition of(String name, String description, String parametersJson) {
        return new ToolDefinition(name, description, parametersJson == null ? null : Json.parseObject(parametersJson));
    }

    /**
     * The tool as chat templates receive it (OpenAI's form):
     * {@code {"type": "function", "function": {"name", "description", "parameters"}}}, leaving out
     * what is null.
     */
    public Map<String, Object> asTemplateValue() {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        if (description != null) {
            function.put("description", description);
        }
        if (parameters != null) {
            function.put("parameters", parameters);
        }
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        return tool;
    }
}
