package dev.chelsea.engine.grammar;

import dev.chelsea.engine.tokenizer.ToolCallFormat;
import dev.chelsea.engine.tokenizer.ToolDefinition;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the tool-call grammars accept, per format, with tool choice auto and required. */
class ToolCallGrammarTest {
    static final List<ToolDefinition> TOOLS = List.of(
            ToolDefinition.of("get_weather", "Weather in a city", "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
                    + "\"unit\":{\"enum\":[\"celsius\",\"fahrenheit\"]},\"days\":{\"type\":\"integer\"}},\"required\":[\"city\"],\"additionalProperties\":false}"),
            ToolDefinition.of("get", null, "{\"type\":\"object\",\"properties\":{}}"),
            ToolDefinition.of("ping", null, null));

    private static void accepts(Grammar g, String... texts) {
        for (String t : texts) {
            assertTrue(g.accepts(t), t);
        }
    }

    private static void rejects(Grammar g, String... texts) {
        for (String t : texts) {
            assertFalse(g.accepts(t), t);
        }
    }

    @Test
    void hermes() {
        String weather = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>";
        Grammar auto = ToolCallGrammar.of(ToolCallFormat.HERMES, TOOLS, false);
        accepts(auto, "", "Hello, <tool_ca <tool_cal> world", weather, "Let me check." + weather + "\n<tool_call>{\"name\":\"ping\",\"arguments\":{\"a\":[1]}}</tool_call>",
                "<tool_call>{\"name\": \"get\", \"arguments\": {\"free\": true}}</tool_call>");
        rejects(auto, weather + " and text after", "<tool_call>{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>",
                "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"P\", \"extra\": 1}}</tool_call>",
                "<tool_call>{\"name\": \"unknown\", \"arguments\": {}}</tool_call>", "<tool_call>{\"arguments\": {}, \"name\": \"get\"}</tool_call>");
        assertTrue(auto.acceptsPrefix("text <tool_call>\n{\"name\": \"get_w"));
        Grammar required = ToolCallGrammar.of(ToolCallFormat.HERMES, TOOLS, true);
        accepts(required, weather, weather + "\n" + weather, "<think>\nWeather: call.\n</think>\n\n" + weather, "<think></think>" + weather);
        rejects(required, "", "Sure." + weather, "<think>no call</think>", "<think>a</think> " + weather);
    }

    @Test
    void llama3() {
        String call = "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 3}}";
        Grammar auto = ToolCallGrammar.of(ToolCallFormat.LLAMA3_JSON, TOOLS, false);
        accepts(auto, "", "It is sunny {really}.", call, "{\"name\":\"ping\",\"parameters\":{}}");
        rejects(auto, "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}", call + " more", "{\"temperature\": 22}");
        Grammar required = ToolCallGrammar.of(ToolCallFormat.LLAMA3_JSON, TOOLS, true);
        accepts(required, call);
        rejects(required, "", "Sure: " + call);
    }

    @Test
    void mistral() {
        Grammar nemo = ToolCallGrammar.of(ToolCallFormat.MISTRAL_NEMO, TOOLS, false);
        String calls = "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, {\"name\": \"ping\", \"arguments\": {}}]";
        accepts(nemo, "", "No call [TOOL_CALL here.", calls, "Calling." + calls);
        rejects(nemo, "[TOOL_CALLS][]", calls + "[TOOL_CALLS][{\"name\": \"ping\", \"arguments\": {}}]");
        accepts(ToolCallGrammar.of(ToolCallFormat.MISTRAL_NEMO, TOOLS, true), calls);
        rejects(ToolCallGrammar.of(ToolCallFormat.MISTRAL_NEMO, TOOLS, true), "Calling." + calls);

        Grammar small = ToolCallGrammar.of(ToolCallFormat.MISTRAL_SMALL, TOOLS, false);
        String two = "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}[TOOL_CALLS]get[ARGS]{}";
        accepts(small, "", "text", two);
        rejects(small, "[TOOL_CALLS]get_weather[ARGS]{}", "[TOOL_CALLS]get_weather[CALL_ID]abcdef123[ARGS]{\"city\": \"Paris\"}");
        accepts(ToolCallGrammar.of(ToolCallFormat.MISTRAL_SMALL, TOOLS, true), two);
    }

    @Test
    void badToolSetsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ToolCallGrammar.of(ToolCallFormat.HERMES, List.of(), true));
        assertThrows(IllegalArgumentException.class, () -> ToolCallGrammar.of(ToolCallFormat.HERMES, List.of(TOOLS.get(1), TOOLS.get(1)), true));
        UnsupportedSchemaException e = assertThrows(UnsupportedSchemaException.class, () -> ToolCallGrammar.of(ToolCallFormat.HERMES,
                List.of(ToolDefinition.of("f", null, "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"pattern\":\"[A-Z]+\"}}}")), false));
        assertEquals("unsupported JSON Schema at tool 'f' $.properties.code: 'pattern' is not supported", e.getMessage());
    }
}
