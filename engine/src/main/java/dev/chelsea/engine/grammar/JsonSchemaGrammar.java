package dev.chelsea.engine.grammar;

import dev.chelsea.engine.grammar.GrammarBuilder.Rule;
import dev.chelsea.engine.json.Json;

import java.util.HashMap;

/**
 * Grammars for JSON output: a value of a JSON Schema (the subset LangChain4j writes for AI
 * services and tools, see {@link JsonSchemaCompiler} for the exact list), any JSON value, or any
 * JSON object (OpenAI's {@code json_object}). The output may start with whitespace and ends with the
 * value: nothing may follow it, so generation stops as soon as the value closes.
 */
public final class JsonSchemaGrammar {
    private JsonSchemaGrammar() {
    }

    /**
     * Compiles a schema given as JSON text.
     *
     * @throws UnsupportedSchemaException if the text is not JSON, the schema is invalid, or it uses a
     *                                    construct outside the subset; the message names it
     */
    public static Grammar compile(String schemaJson) {
        Object schema;
        try {
            schema = Json.parse(schemaJson);
        } catch (IllegalArgumentException e) {
            throw new UnsupportedSchemaException("the JSON Schema is not valid JSON: " + e.getMessage());
        }
        return compile(schema, JsonSchemaOptions.DEFAULTS);
    }

    /** Compiles a schema given as parsed JSON ({@code Map}, {@code List}, ... as {@link Json#parse} makes them). */
    public static Grammar compile(Object schema, JsonSchemaOptions options) {
        GrammarBuilder b = new GrammarBuilder();
        JsonRules json = new JsonRules(b, options);
        JsonSchemaCompiler c = new JsonSchemaCompiler(json, schema, "$", new HashMap<>());
        Rule top = b.rule("$");
        top.finish(c.root(top, json.optWs(top, top.start())));
        return build(b, top);
    }

    public static Grammar anyValue() {
        return compile(Boolean.TRUE, JsonSchemaOptions.DEFAULTS);
    }

    public static Grammar anyObject() {
        return compile(Json.parse("{\"type\":\"object\"}"), JsonSchemaOptions.DEFAULTS);
    }

    /** Builds, turning the builder's complaints about a rule into schema errors. */
    static Grammar build(GrammarBuilder b, Rule top) {
        try {
            return b.build(top);
        } catch (UnsupportedSchemaException e) {
            throw e;
        } catch (GrammarException e) {
            throw new UnsupportedSchemaException("unsupported JSON Schema: " + e.getMessage());
        }
    }
}
