package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.TokenConstraint;
import dev.chelsea.engine.grammar.Grammar;
import dev.chelsea.engine.grammar.GrammarConstraint;
import dev.chelsea.engine.grammar.JsonSchemaGrammar;
import dev.chelsea.engine.grammar.JsonSchemaOptions;
import dev.chelsea.engine.grammar.ToolCallGrammar;
import dev.chelsea.engine.grammar.UnsupportedSchemaException;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.chelsea.engine.tokenizer.ToolCallFormat;
import dev.chelsea.engine.tokenizer.ToolDefinition;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a request asks its answer to be, and how that is enforced and read back: free text, one
 * JSON value (of the response format's schema, or any object), or tool calls in the chat
 * template's own format. With tool choice AUTO the model may answer instead of calling: with free
 * text, or with the JSON value when a JSON response format is set too; REQUIRED makes the answer
 * start with a call; NONE offers no tools (earlier calls and results still show in the prompt).
 *
 * <p>Every shape but free text is a grammar that masks the logits ({@code dev.chelsea.engine.grammar}),
 * so the output parses whatever the model: compiled once per schema and model
 * ({@link ConstraintCache}). Schemas outside the grammar's subset are refused here, naming the
 * parameter, before the request is queued.
 */
final class OutputShape {
    /**
     * Integers of at most 9 digits (and numbers' integer parts): LangChain4j describes Java
     * {@code int} fields as "integer", and 10 digits can overflow an int, failing the
     * deserialization that the grammar is there to guarantee. The engine's default is 16.
     */
    static final JsonSchemaOptions JSON_OPTIONS = new JsonSchemaOptions(9, 16, 40);
    static final OutputShape TEXT = new OutputShape(List.of(), null, null, null, null);

    private final List<ToolDefinition> promptTools;
    private final ToolCallFormat callFormat;
    private final String answerOrMarker;
    private final TokenConstraint constraint;
    private final String instruction;

    private OutputShape(List<ToolDefinition> promptTools, ToolCallFormat callFormat, String answerOrMarker, TokenConstraint constraint,
                        String instruction) {
        this.promptTools = promptTools;
        this.callFormat = callFormat;
        this.answerOrMarker = answerOrMarker;
        this.constraint = constraint;
        this.instruction = instruction;
    }

    /**
     * The shape {@code p} asks for on {@code template}'s model.
     *
     * @throws ChelseaUnsupportedFeatureException for a schema outside the supported subset
     * @throws ChelseaInvalidRequestException     for tool choice REQUIRED without tools, or tools sharing a name
     */
    static OutputShape of(ChatRequestParameters p, ChatTemplate template, LoadedModel loaded) {
        List<ToolSpecification> specs = p.toolSpecifications() == null ? List.of() : p.toolSpecifications();
        ToolChoice choice = p.toolChoice() == null ? ToolChoice.AUTO : p.toolChoice();
        if (choice == ToolChoice.REQUIRED && specs.isEmpty()) {
            throw new ChelseaInvalidRequestException(RequestParameter.TOOL_CHOICE,
                    "tool choice REQUIRED needs at least one tool specification: the request has none");
        }
        Map<String, Object> answer = answerSchema(p.responseFormat());
        if (!specs.isEmpty() && choice != ToolChoice.NONE) {
            List<ToolDefinition> tools = new ArrayList<>(specs.size());
            for (ToolSpecification spec : specs) {
                tools.add(tool(spec));
            }
            boolean required = choice == ToolChoice.REQUIRED;
            Map<String, Object> alongside = required || answer == null ? null : Schemas.withoutFormat(answer);
            ToolCallFormat format = template.toolCallFormat();
            String key = "tools " + format + " required=" + required + " " + toolsJson(tools) + " " + (alongside == null ? "" : Json.write(alongside));
            TokenConstraint c = loaded.constraints().get(key, () -> ToolCallGrammar.constraint(
                    toolGrammar(format, tools, required, alongside), format, loaded.model().tokenizer()));
            // beside a JSON answer, the grammar starts calls with the format's first marker (Llama's: <|python_tag|>)
            return new OutputShape(tools, format, alongside == null ? null : format.markers().getFirst(), c,
                    required ? null : instruction(answer));
        }
        if (answer != null) {
            Map<String, Object> schema = Schemas.withoutFormat(answer);
            TokenConstraint c = loaded.constraints().get("json " + Json.write(schema),
                    () -> GrammarConstraint.of(jsonGrammar(schema), loaded.model().tokenizer()));
            return new OutputShape(List.of(), null, null, c, instruction(answer));
        }
        return TEXT;
    }

    /** The tools the prompt offers (empty: none). */
    List<ToolDefinition> promptTools() {
        return promptTools;
    }

    /** How calls are written in the answer, or null when the answer is not read for calls. */
    ToolCallFormat callFormat() {
        return callFormat;
    }

    /**
     * With a JSON answer beside tools: the marker that an answer of calls starts with (the grammar
     * allows nothing else); an answer that does not is the JSON value, all content, whatever its
     * strings hold. Null otherwise.
     */
    String answerOrMarker() {
        return answerOrMarker;
    }

    /** The grammar the output follows, or null for free text. */
    TokenConstraint constraint() {
        return constraint;
    }

    /** What the system prompt says about the JSON answer, or null. */
    String instruction() {
        return instruction;
    }

    /**
     * The response format's schema as JSON, {@code {"type": "object"}} for JSON without a schema
     * (OpenAI's {@code json_object}), or null for text.
     */
    private static Map<String, Object> answerSchema(ResponseFormat format) {
        if (format == null || format.type() != ResponseFormatType.JSON) {
            return null;
        }
        if (format.jsonSchema() == null || format.jsonSchema().rootElement() == null) {
            Map<String, Object> any = new LinkedHashMap<>();
            any.put("type", "object");
            return any;
        }
        try {
            return Schemas.toJson(format.jsonSchema().rootElement());
        } catch (IllegalArgumentException e) {
            throw new ChelseaUnsupportedFeatureException(RequestParameter.RESPONSE_FORMAT,
                    "the JSON schema of the response format cannot be read: " + e.getMessage());
        }
    }

    private static ToolDefinition tool(ToolSpecification spec) {
        try {
            return Schemas.forPrompt(spec);
        } catch (IllegalArgumentException e) {
            throw new ChelseaInvalidRequestException(RequestParameter.TOOL_SPECIFICATIONS,
                    "tool '" + spec.name() + "': " + e.getMessage(), e);
        }
    }

    private static String toolsJson(List<ToolDefinition> tools) {
        List<Object> values = new ArrayList<>();
        for (ToolDefinition t : tools) {
            values.add(t.asTemplateValue());
        }
        return Json.write(values);
    }

    private static String instruction(Map<String, Object> answer) {
        if (answer == null) {
            return null;
        }
        if (answer.size() == 1 && "object".equals(answer.get("type"))) {
            return "Answer with a JSON object.";
        }
        return "Answer with JSON that follows this JSON Schema:\n" + Json.write(answer);
    }

    private static Grammar jsonGrammar(Map<String, Object> schema) {
        try {
            return JsonSchemaGrammar.compile(schema, JSON_OPTIONS);
        } catch (UnsupportedSchemaException e) {
            throw new ChelseaUnsupportedFeatureException(RequestParameter.RESPONSE_FORMAT,
                    "the response format's JSON schema is not supported: " + e.getMessage());
        }
    }

    /** The grammar of calls (and of the answer beside them); a failure is blamed on the schema that causes it. */
    private static Grammar toolGrammar(ToolCallFormat format, List<ToolDefinition> tools, boolean required, Map<String, Object> answer) {
        List<ToolDefinition> enforced = tools.stream().map(Schemas::forGrammar).toList();
        try {
            return ToolCallGrammar.of(format, enforced, required, JSON_OPTIONS, answer);
        } catch (UnsupportedSchemaException e) {
            if (answer != null) {
                jsonGrammar(answer);
                try {
                    ToolCallGrammar.of(format, enforced, required, JSON_OPTIONS, null);
                } catch (UnsupportedSchemaException t) {
                    throw toolsUnsupported(t);
                }
                throw new ChelseaUnsupportedFeatureException(RequestParameter.RESPONSE_FORMAT,
                        "a JSON answer of the response format's schema cannot be told apart from a tool call in this model's tool "
                                + "format (" + format + "), so both cannot be offered at once: " + e.getMessage());
            }
            throw toolsUnsupported(e);
        } catch (IllegalArgumentException e) {
            throw new ChelseaInvalidRequestException(RequestParameter.TOOL_SPECIFICATIONS, e.getMessage(), e);
        }
    }

    private static ChelseaUnsupportedFeatureException toolsUnsupported(UnsupportedSchemaException e) {
        return new ChelseaUnsupportedFeatureException(RequestParameter.TOOL_SPECIFICATIONS,
                "a tool's parameter schema is not supported: " + e.getMessage());
    }
}
