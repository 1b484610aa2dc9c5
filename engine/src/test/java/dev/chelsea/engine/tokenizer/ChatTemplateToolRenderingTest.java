package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.json.Json;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conversations with tools (offered tools, calls, parallel calls, results, answers after results)
 * rendered by the Java templates, recognised from the real Jinja templates, against the
 * renderings jinja2 produced from the same templates ({@code tool-renderings.json}, written by
 * {@code engine/src/test/python/render_tool_templates.py} from {@code tool-conversations.json};
 * see the script for the environment, which is Hugging Face's). Where a template refuses a
 * conversation, the Java template must refuse it with the same message. Phi-3.5 and the
 * DeepSeek-R1 distill have no tool format: the script applies the generic format to the messages
 * and renders them with the real template.
 */
class ChatTemplateToolRenderingTest {

    @TestFactory
    @SuppressWarnings("unchecked")
    List<DynamicTest> rendersAsJinjaDoes() {
        Map<String, Object> fixtures = Json.parseObject(resource("tool-conversations.json"));
        Map<String, Object> expected = Json.parseObject(resource("tool-renderings.json"));
        List<ToolDefinition> tools = new ArrayList<>();
        for (Object t : (List<Object>) fixtures.get("tools")) {
            Map<String, Object> f = (Map<String, Object>) ((Map<String, Object>) t).get("function");
            tools.add(new ToolDefinition((String) f.get("name"), (String) f.get("description"), (Map<String, Object>) f.get("parameters")));
        }
        Map<String, Object> conversations = (Map<String, Object>) fixtures.get("conversations");
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, Object> byTemplate : expected.entrySet()) {
            ChatTemplate template = ChatTemplates.forTemplate(ChatTemplateRenderingTest.templateFile(byTemplate.getKey()));
            for (Map.Entry<String, Object> e : ((Map<String, Object>) byTemplate.getValue()).entrySet()) {
                Map<String, Object> c = (Map<String, Object>) conversations.get(e.getKey());
                List<ChatMessage> messages = messages((List<Object>) c.get("messages"));
                List<ToolDefinition> offered = Boolean.TRUE.equals(c.get("tools")) ? tools : List.of();
                boolean prompt = Boolean.TRUE.equals(c.get("add_generation_prompt"));
                tests.add(DynamicTest.dynamicTest(byTemplate.getKey() + " " + e.getKey(), () -> {
                    if (e.getValue() instanceof Map<?, ?> error) {
                        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                                () -> template.render(messages, offered, prompt));
                        assertEquals(error.get("error"), x.getMessage());
                    } else {
                        assertEquals(e.getValue(), template.render(messages, offered, prompt));
                    }
                }));
            }
        }
        return tests;
    }

    @Test
    void eachFamilyNamesItsOwnFormat() {
        assertEquals(ToolCallFormat.LLAMA3_JSON, ChatTemplates.byFamily("llama3.2").toolCallFormat());
        assertEquals(ToolCallFormat.HERMES, ChatTemplates.byFamily("llama3").toolCallFormat());
        assertEquals(ToolCallFormat.HERMES, ChatTemplates.byFamily("qwen2.5").toolCallFormat());
        assertEquals(ToolCallFormat.HERMES, ChatTemplates.byFamily("qwen3").toolCallFormat());
        assertEquals(ToolCallFormat.MISTRAL_NEMO, ChatTemplates.byFamily("mistral-nemo").toolCallFormat());
        assertEquals(ToolCallFormat.MISTRAL_SMALL, ChatTemplates.byFamily("mistral-small").toolCallFormat());
        for (String generic : List.of("chatml", "qwen2", "smollm3", "phi3", "phi3.5", "gemma", "granite", "deepseek-r1")) {
            assertEquals(ToolCallFormat.HERMES, ChatTemplates.byFamily(generic).toolCallFormat(), generic);
        }
    }

    @Test
    void theGenericFormatFoldsIntoTemplatesWithoutASystemRole() {
        ChatTemplate gemma = ChatTemplates.byFamily("gemma");
        String out = gemma.render(List.of(ChatMessage.user("Weather?"),
                ChatMessage.assistant("", List.of(new ToolCall(null, "get_weather", "{\"city\":\"Paris\"}"))),
                ChatMessage.toolResult(null, "get_weather", "22"), ChatMessage.toolResult(null, "get_weather", "23")),
                List.of(ToolDefinition.of("get_weather", null, "{\"type\":\"object\"}")), true);
        assertTrue(out.startsWith("<bos><start_of_turn>user\n# Tools\n"), out);
        assertTrue(out.contains("<start_of_turn>model\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                + "</tool_call><end_of_turn>\n<start_of_turn>user\n<tool_response>\n22\n</tool_response>\n<tool_response>\n23\n"
                + "</tool_response><end_of_turn>\n<start_of_turn>model\n"), out);
        // without tools offered, a plain render of tool messages points to the method that handles them
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gemma.render(List.of(ChatMessage.user("x"),
                ChatMessage.assistant("", List.of(new ToolCall(null, "f", "{}")))), true));
        assertTrue(e.getMessage().contains("render(messages, tools, addGenerationPrompt)"), e.getMessage());
    }

    @Test
    void pythonJsonMatchesJsonDumps() {
        // values checked against Python 3: json.dumps(x, ensure_ascii=False)
        assertEquals("{\"a\": [1, 2.5, null, true], \"b\": \"\\u0001\\b\\f\\n\\\"\\\\ é\u2028\", \"c\": {}, \"d\": []}",
                TemplateJson.dumps(Json.parse("{\"a\":[1,2.5,null,true],\"b\":\"\\u0001\\b\\f\\n\\\"\\\\ é\u2028\",\"c\":{},\"d\":[]}")));
        assertEquals("{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}", TemplateJson.dumps(Json.parse("{\"a\":[1],\"b\":{}}"), 2));
        // repr(float): 1e-05 0.0001 1e+16 123456789012345.6 1.5e+300 -0.5
        assertEquals(List.of("1e-05", "0.0001", "1e+16", "123456789012345.6", "1.5e+300", "-0.5", "100.0"),
                List.of(1e-5, 1e-4, 1e16, 123456789012345.6, 1.5e300, -0.5, 100.0).stream().map(TemplateJson::floatRepr).toList());
    }

    @SuppressWarnings("unchecked")
    private static List<ChatMessage> messages(List<Object> raw) {
        List<ChatMessage> out = new ArrayList<>();
        for (Object o : raw) {
            Map<String, Object> m = (Map<String, Object>) o;
            String content = (String) m.get("content");
            switch ((String) m.get("role")) {
                case "system" -> out.add(ChatMessage.system(content));
                case "user" -> out.add(ChatMessage.user(content));
                case "assistant" -> {
                    List<ToolCall> calls = new ArrayList<>();
                    for (Object c : (List<Object>) m.getOrDefault("tool_calls", List.of())) {
                        Map<String, Object> call = (Map<String, Object>) c;
                        Map<String, Object> f = (Map<String, Object>) call.get("function");
                        calls.add(new ToolCall((String) call.get("id"), (String) f.get("name"), Json.write(f.get("arguments"))));
                    }
                    out.add(ChatMessage.assistant(content, calls));
                }
                case "tool" -> out.add(ChatMessage.toolResult((String) m.get("tool_call_id"), (String) m.get("name"), content));
                default -> throw new IllegalArgumentException("role " + m.get("role"));
            }
        }
        return out;
    }

    private static String resource(String name) {
        try (InputStream in = ChatTemplateToolRenderingTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
