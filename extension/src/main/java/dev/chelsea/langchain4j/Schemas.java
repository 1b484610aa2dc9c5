package dev.chelsea.langchain4j;

import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.tokenizer.ToolDefinition;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LangChain4j's JSON schemas as the engine reads them: plain JSON values ({@link Json#parse}'s
 * maps, lists, strings, numbers), in two versions. The prompt gets the schema as the caller wrote
 * it; the grammar gets it without {@code format}, which the engine's schema compiler refuses
 * (it cannot hold a string to "date-time" or "email") but which OpenAI clients send for every date
 * or e-mail field (pydantic, zod). JSON Schema makes {@code format} an annotation unless a
 * validator opts in to asserting it, so leaving it to the model, which reads it in the prompt, is
 * what most validators do too.
 */
final class Schemas {
    /** Keywords whose value is a schema, a list of schemas, or a map of names to schemas. */
    private static final Set<String> SCHEMA = Set.of("items", "additionalProperties", "not", "contains", "propertyNames",
            "unevaluatedProperties", "unevaluatedItems", "if", "then", "else");
    private static final Set<String> SCHEMA_LISTS = Set.of("anyOf", "oneOf", "allOf", "prefixItems");
    private static final Set<String> SCHEMA_MAPS = Set.of("properties", "patternProperties", "$defs", "definitions",
            "dependentSchemas");

    private Schemas() {
    }

    /** A LangChain4j schema as a JSON value, keywords the LangChain4j types do not model kept. */
    static Map<String, Object> toJson(JsonSchemaElement element) {
        Object value = Json.parse(Json.write(JsonSchemaElementJsonUtils.toMap(element)));
        if (!(value instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("a JSON schema must be an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) m;
        return map;
    }

    /** The tool as the prompt shows it: its schema as written. */
    static ToolDefinition forPrompt(ToolSpecification spec) {
        return new ToolDefinition(spec.name(), spec.description(), spec.parameters() == null ? null : toJson(spec.parameters()));
    }

    /** The tool as the grammar enforces it: its schema without {@code format}. */
    static ToolDefinition forGrammar(ToolDefinition tool) {
        return new ToolDefinition(tool.name(), tool.description(),
                tool.parameters() == null ? null : withoutFormat(tool.parameters()));
    }

    /** {@code schema} without the {@code format} keyword anywhere a schema may be (a property named "format" stays). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> withoutFormat(Map<String, Object> schema) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : schema.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            if (k.equals("format") && v instanceof String) {
                continue;
            }
            if (SCHEMA.contains(k) && v instanceof Map<?, ?> m) {
                v = withoutFormat((Map<String, Object>) m);
            } else if ((SCHEMA_LISTS.contains(k) || k.equals("items")) && v instanceof List<?> l) {
                v = eachSchema(l);
            } else if (SCHEMA_MAPS.contains(k) && v instanceof Map<?, ?> m) {
                Map<String, Object> named = new LinkedHashMap<>();
                for (Map.Entry<?, ?> p : m.entrySet()) {
                    named.put(String.valueOf(p.getKey()), p.getValue() instanceof Map<?, ?> s ? withoutFormat((Map<String, Object>) s) : p.getValue());
                }
                v = named;
            }
            out.put(k, v);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> eachSchema(List<?> schemas) {
        List<Object> out = new ArrayList<>(schemas.size());
        for (Object s : schemas) {
            out.add(s instanceof Map<?, ?> m ? withoutFormat((Map<String, Object>) m) : s);
        }
        return out;
    }
}
