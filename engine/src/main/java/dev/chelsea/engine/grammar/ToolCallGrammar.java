package dev.chelsea.engine.grammar;

import dev.chelsea.engine.grammar.GrammarBuilder.Rule;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.tokenizer.ToolCallFormat;
import dev.chelsea.engine.tokenizer.ToolDefinition;
import dev.chelsea.engine.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Grammars for answers that may (or must) call tools, in a family's {@link ToolCallFormat}: a
 * call names one of the offered tools, and its arguments are a value of that tool's parameter
 * schema (any JSON object if it has none). With tool choice "auto" the answer is free text until
 * the format's opening marker, and from there on it is calls only, so a model that starts a call
 * finishes it with valid arguments; with tool choice "required" the answer starts with a call.
 *
 * <ul>
 * <li>{@link ToolCallFormat#HERMES}: text, then {@code <tool_call>\n{"name": .., "arguments": ..}\n</tool_call>}
 *     blocks (line breaks optional, one between blocks); with tool choice "required", only a
 *     {@code <think>..</think>} block may come before the first call.</li>
 * <li>{@link ToolCallFormat#LLAMA3_JSON}: an answer that starts with {@code {} is one call
 *     {@code {"name": .., "parameters": ..}}; any other first byte starts free text.</li>
 * <li>{@link ToolCallFormat#MISTRAL_NEMO}: text, then {@code [TOOL_CALLS][{"name": .., "arguments": ..}, ..]}.</li>
 * <li>{@link ToolCallFormat#MISTRAL_SMALL}: text, then {@code [TOOL_CALLS]name[ARGS]{..}}, repeated.</li>
 * </ul>
 * Keys come in this order; calls carry no ids (the caller assigns them).
 */
public final class ToolCallGrammar {
    private ToolCallGrammar() {
    }

    /**
     * @param required whether the answer must call a tool (and start with the call)
     * @throws UnsupportedSchemaException if a tool's parameter schema is outside the supported subset
     * @throws IllegalArgumentException   if no tools are given or two share a name
     */
    public static Grammar of(ToolCallFormat format, List<ToolDefinition> tools, boolean required) {
        return of(format, tools, required, JsonSchemaOptions.DEFAULTS);
    }

    public static Grammar of(ToolCallFormat format, List<ToolDefinition> tools, boolean required, JsonSchemaOptions options) {
        if (tools == null || tools.isEmpty()) {
            throw new IllegalArgumentException("a tool-call grammar needs at least one tool");
        }
        Set<String> names = new HashSet<>();
        for (ToolDefinition t : tools) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("two tools are named '" + t.name() + "'");
            }
        }
        GrammarBuilder b = new GrammarBuilder();
        JsonRules json = new JsonRules(b, options);
        Map<String, Rule> shared = new HashMap<>();
        Rule top = b.rule("answer");
        int s = top.start();
        switch (format) {
            case HERMES -> {
                Rule body = b.rule("<tool_call> block");
                int x = optionalNewline(body, body.start());
                x = optionalNewline(body, callObject(body, x, json, tools, "arguments", shared));
                body.finish(body.literal(x, "</tool_call>"));
                int marker;
                if (required) {
                    // a reasoning block may come first (Qwen3 writes one unless thinking is off)
                    int think = freeText(top, top.literal(s, "<think>"), "</think>", false);
                    marker = top.literal(top.join(s, optionalNewline(top, optionalNewline(top, think))), "<tool_call>");
                } else {
                    marker = freeText(top, s, "<tool_call>", true);
                }
                int loop = top.join(top.call(marker, body));
                top.eps(top.call(top.literal(optionalNewline(top, loop), "<tool_call>"), body), loop);
                top.finish(loop);
            }
            case LLAMA3_JSON -> {
                Rule call = b.rule("call");
                call.finish(callObject(call, call.start(), json, tools, "parameters", shared));
                top.finish(top.call(s, call));
                if (!required) {
                    top.finish(s);
                    int text = top.state();
                    top.range(s, 0, '{' - 1, text);
                    top.range(s, '{' + 1, 255, text);
                    top.range(text, 0, 255, text);
                    top.finish(text);
                }
            }
            case MISTRAL_NEMO -> {
                int x = required ? top.literal(s, "[TOOL_CALLS]") : freeText(top, s, "[TOOL_CALLS]", true);
                Rule call = b.rule("call");
                call.finish(callObject(call, call.start(), json, tools, "arguments", shared));
                int open = json.token(top, x, "[");
                int loop = top.join(json.optWs(top, top.call(open, call)));
                top.eps(json.optWs(top, top.call(json.token(top, loop, ","), call)), loop);
                top.finish(top.literal(loop, "]"));
            }
            case MISTRAL_SMALL -> {
                Rule call = b.rule("call");
                int c = call.start();
                for (ToolDefinition t : tools) {
                    call.finish(args(call, call.literal(call.literal(c, t.name()), "[ARGS]"), json, t, shared));
                }
                int first = required ? top.literal(s, "[TOOL_CALLS]") : freeText(top, s, "[TOOL_CALLS]", true);
                int loop = top.join(top.call(first, call));
                top.eps(top.call(top.literal(loop, "[TOOL_CALLS]"), call), loop);
                top.finish(loop);
            }
        }
        return JsonSchemaGrammar.build(b, top);
    }

    /** The grammar bound to a tokenizer, with the format's markers standing for their text where they are control tokens. */
    public static GrammarConstraint constraint(ToolCallFormat format, List<ToolDefinition> tools, boolean required, Tokenizer tokenizer) {
        return GrammarConstraint.of(of(format, tools, required), tokenizer, format.markers());
    }

    private static int optionalNewline(Rule r, int from) {
        return r.join(from, r.literal(from, "\n"));
    }

    /** {@code {"name": "<tool>", "<argumentsKey>": <arguments of that tool>}}. */
    private static int callObject(Rule r, int from, JsonRules json, List<ToolDefinition> tools, String argumentsKey,
                                  Map<String, Rule> shared) {
        int open = json.token(r, from, "{");
        int name = json.token(r, r.literal(open, "\"name\""), ":");
        int end = r.state();
        for (ToolDefinition t : tools) {
            int x = r.literal(name, Json.quote(t.name()));
            x = json.token(r, json.optWs(r, x), ",");
            x = json.token(r, r.literal(x, Json.quote(argumentsKey)), ":");
            r.eps(json.optWs(r, args(r, x, json, t, shared)), end);
        }
        return r.literal(end, "}");
    }

    private static int args(Rule r, int from, JsonRules json, ToolDefinition t, Map<String, Rule> shared) {
        if (t.parameters() == null) {
            return r.call(from, json.anyObject());
        }
        return new JsonSchemaCompiler(json, t.parameters(), "tool '" + t.name() + "' $", shared).root(r, from);
    }

    /**
     * Free text that does not contain {@code marker}, then the marker; returns the state after the
     * marker. The text states follow the marker's failure function (as in Knuth-Morris-Pratt),
     * so the automaton stays deterministic; {@code mayEnd}: the answer may end in the text.
     */
    static int freeText(Rule r, int from, String marker, boolean mayEnd) {
        byte[] m = marker.getBytes(StandardCharsets.UTF_8);
        int n = m.length;
        int[] state = new int[n];
        for (int j = 0; j < n; j++) {
            state[j] = r.state();
            if (mayEnd) {
                r.finish(state[j]);
            }
        }
        r.eps(from, state[0]);
        int after = r.state();
        int[] fail = new int[n + 1];
        for (int j = 1, k = 0; j < n; j++) {
            while (k > 0 && m[j] != m[k]) {
                k = fail[k];
            }
            if (m[j] == m[k]) {
                k++;
            }
            fail[j + 1] = k;
        }
        for (int j = 0; j < n; j++) {
            for (int b = 0; b < 256; b++) {
                int k = j;
                while (k > 0 && (m[k] & 0xFF) != b) {
                    k = fail[k];
                }
                if ((m[k] & 0xFF) == b) {
                    k++;
                }
                r.range(state[j], b, b, k == n ? after : state[k]);
            }
        }
        return after;
    }
}
