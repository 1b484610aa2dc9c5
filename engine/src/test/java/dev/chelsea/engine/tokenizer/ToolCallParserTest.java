package dev.chelsea.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading tool calls back from answers, per format: well-formed, malformed, and partial (streamed) output. */
class ToolCallParserTest {

    private static ToolCall call(String name, String args) {
        return new ToolCall(null, name, args);
    }

    @Test
    void hermes() {
        ToolCallParse p = ToolCallFormat.HERMES.parse("Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                + "</tool_call>\n<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>");
        assertEquals("Let me check.", p.content());
        assertEquals(List.of(call("get_weather", "{\"city\": \"Paris\"}"), call("ping", "{}")), p.calls());
        assertEquals(List.of(), p.errors());
        assertNull(p.pending());
        // plain text, and a block the model did not close before its end-of-turn
        assertEquals(new ToolCallParse("Hello!", List.of(), null, List.of()), ToolCallFormat.HERMES.parse("Hello!"));
        assertEquals(List.of(call("ping", "{}")), ToolCallFormat.HERMES.parse("<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n").calls());
        // arguments written as a string holding the object; "parameters" instead of "arguments"; no arguments
        assertEquals(List.of(call("f", "{\"a\": 1}"), call("g", "{\"b\":2}"), call("h", "{}")), ToolCallFormat.HERMES.parse(
                "<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}</tool_call><tool_call>{\"name\": \"g\", \"parameters\": {\"b\":2}}"
                        + "</tool_call><tool_call>{\"name\": \"h\"}</tool_call>").calls());
    }

    @Test
    void malformedCallsAreReportedAndKeptAsText() {
        ToolCallParse p = ToolCallFormat.HERMES.parse("A<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": }}</tool_call>"
                + "<tool_call>{\"arguments\": {}}</tool_call><tool_call>{\"name\": \"g\", \"arguments\": [1]}</tool_call>"
                + "<tool_call>{\"name\": \"ok\", \"arguments\": {}}</tool_call><tool_call>get_weather(city=\"Paris\")</tool_call>"
                + "<tool_call>{\"name\": \"cut\", \"argu");
        assertEquals(List.of(call("ok", "{}")), p.calls());
        assertEquals(5, p.errors().size(), p.errors().toString());
        assertTrue(p.errors().get(0).startsWith("the arguments of f are not a JSON object"), p.errors().get(0));
        assertTrue(p.errors().get(1).startsWith("the call has no \"name\""), p.errors().get(1));
        assertTrue(p.errors().get(2).startsWith("the arguments of g are not a JSON object"), p.errors().get(2));
        assertTrue(p.errors().get(3).startsWith("the call is not a JSON object: <tool_call>get_weather("), p.errors().get(3));
        assertTrue(p.errors().get(4).startsWith("unterminated tool call"), p.errors().get(4));
        assertTrue(p.content().startsWith("A<tool_call>{\"name\": \"f\"") && p.content().endsWith("\"argu"), p.content());
    }

    @Test
    void llama3() {
        ToolCallParse p = ToolCallFormat.LLAMA3_JSON.parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}");
        assertEquals(List.of(call("get_weather", "{\"city\": \"Paris\"}")), p.calls());
        assertEquals("", p.content());
        assertEquals(List.of(call("f", "{}"), call("g", "{\"x\": [1, {\"y\": \"}\"}]}")), ToolCallFormat.LLAMA3_JSON.parse(
                "<|python_tag|>{\"name\": \"f\", \"parameters\": {}}; {\"name\": \"g\", \"arguments\": {\"x\": [1, {\"y\": \"}\"}]}}").calls());
        // an answer that is JSON but not a call, and plain text
        assertEquals(new ToolCallParse("{\"temperature\": 22}", List.of(), null, List.of()),
                ToolCallFormat.LLAMA3_JSON.parse("{\"temperature\": 22}"));
        assertEquals("It is sunny.", ToolCallFormat.LLAMA3_JSON.parse("It is sunny.").content());
        ToolCallParse cut = ToolCallFormat.LLAMA3_JSON.parse("{\"name\": \"f\", \"parameters\": {\"a\": 1}");
        assertEquals(List.of(), cut.calls());
        assertTrue(cut.errors().getFirst().startsWith("unterminated tool call"));
    }

    @Test
    void mistral() {
        ToolCallParse nemo = ToolCallFormat.MISTRAL_NEMO.parse("[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, "
                + "\"id\": \"abcdef123\"}, {\"name\": \"ping\", \"arguments\": {}}]");
        assertEquals(List.of(new ToolCall("abcdef123", "get_weather", "{\"city\": \"Paris\"}"), call("ping", "{}")), nemo.calls());
        assertEquals("", nemo.content());
        assertEquals("No tools needed.", ToolCallFormat.MISTRAL_NEMO.parse("No tools needed.").content());
        assertTrue(ToolCallFormat.MISTRAL_NEMO.parse("[TOOL_CALLS] {\"name\": \"f\"}").errors().getFirst().startsWith("[TOOL_CALLS] not followed"));

        ToolCallParse small = ToolCallFormat.MISTRAL_SMALL.parse("[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}"
                + "[TOOL_CALLS]ping[CALL_ID]abcdef123[ARGS]{}");
        assertEquals(List.of(call("get_weather", "{\"city\": \"Paris\"}"), new ToolCall("abcdef123", "ping", "{}")), small.calls());
        ToolCallParse bad = ToolCallFormat.MISTRAL_SMALL.parse("Sure.[TOOL_CALLS]f{\"a\": 1}");
        assertEquals("Sure.[TOOL_CALLS]f{\"a\": 1}", bad.content());
        assertEquals(1, bad.errors().size());
    }

    @Test
    void everyPrefixOfAStreamReadsConsistently() {
        String args = "{\"city\": \"Paris \\\"centre\\\"\", \"days\": 12, \"tags\": [\"a}\", {\"b\": null}]}";
        check(ToolCallFormat.HERMES, "Let me see.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": " + args
                + "}\n</tool_call>\n<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>", 2);
        check(ToolCallFormat.LLAMA3_JSON, "{\"name\": \"get_weather\", \"parameters\": " + args + "}", 1);
        check(ToolCallFormat.MISTRAL_NEMO, "Ok[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": " + args
                + "}, {\"name\": \"ping\", \"arguments\": {}}]", 2);
        check(ToolCallFormat.MISTRAL_SMALL, "[TOOL_CALLS]get_weather[ARGS]" + args + "[TOOL_CALLS]ping[CALL_ID]abcdef123[ARGS]{}", 2);
    }

    /**
     * Streams {@code output} character by character: content only grows and never shows part of a
     * marker, calls only grow, the pending call's name and arguments are those of the next call.
     */
    private static void check(ToolCallFormat f, String output, int callCount) {
        ToolCallParse done = f.parse(output);
        assertEquals(callCount, done.calls().size(), f + " " + done);
        assertEquals(List.of(), done.errors());
        for (int n = 0; n <= output.length(); n++) {
            ToolCallParse p = f.parsePartial(output.substring(0, n));
            String where = f + " after " + n + " chars: " + p;
            assertTrue(done.content().startsWith(p.content()), where);
            for (String marker : f.markers()) {
                assertTrue(!p.content().contains(marker.substring(0, 2)) || done.content().contains(marker.substring(0, 2)), where);
            }
            assertEquals(done.calls().subList(0, p.calls().size()), p.calls(), where);
            if (p.pending() != null) {
                ToolCall next = done.calls().get(p.calls().size());
                assertTrue(p.pending().name() == null || p.pending().name().equals(next.name()), where);
                assertTrue(next.arguments().startsWith(p.pending().arguments()), where);
            }
        }
    }
}
