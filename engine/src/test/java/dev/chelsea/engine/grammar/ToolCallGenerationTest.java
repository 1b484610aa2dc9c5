package dev.chelsea.engine.grammar;

import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.testing.Shared;
import dev.chelsea.engine.tokenizer.ChatMessage;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.chelsea.engine.tokenizer.ChatTemplates;
import dev.chelsea.engine.tokenizer.ToolCall;
import dev.chelsea.engine.tokenizer.ToolCallParse;
import dev.chelsea.engine.tokenizer.ToolDefinition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool-call round trips on a random-weight model, for each family's format: the conversation
 * with tools is rendered by the family's template, the answer generated under the tool-call
 * grammar at temperature 1, parsed back with the family's format, and the calls and their results
 * rendered into the conversation again. With tool choice "required" every answer holds at least
 * one call; with "auto" it may be text; either way every call names an offered tool and its
 * arguments validate against that tool's schema.
 */
class ToolCallGenerationTest {
    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.resolve("models/synthetic/llama-q8_0.gguf"), new ModelOptions(1, 2048, dev.chelsea.engine.backend.BackendChoice.CPU));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3.2", "qwen2.5", "qwen3", "mistral-nemo", "mistral-small", "chatml", "gemma"})
    void callsParseAndValidate(String family) {
        ChatTemplate template = ChatTemplates.byFamily(family);
        List<ToolDefinition> tools = ToolCallGrammarTest.TOOLS;
        List<ChatMessage> conversation = new ArrayList<>(List.of(ChatMessage.user("What is the weather in Paris?")));
        String prompt = template.render(conversation, tools, true);
        int[] tokens = model.tokenizer().encode(prompt, model.tokenizer().addsBos() && !template.rendersBos(), true);
        int calls = 0;
        for (boolean required : new boolean[]{true, false}) {
            GrammarConstraint constraint = ToolCallGrammar.constraint(template.toolCallFormat(), tools, required, model.tokenizer());
            for (long seed = 0; seed < 3; seed++) {
                GenerationRequest request = new GenerationRequest(tokens, new SamplingParams(1f, 0, 1f, 0f, 1f, 64, seed), 160,
                        List.of(), KvCacheConfig.full(), constraint);
                GenerationResult r = new Generator(model).generate(request, null, null);
                ToolCallParse p = template.toolCallFormat().parse(r.text());
                String where = family + " required=" + required + " seed " + seed + ": " + r.text();
                assertEquals(List.of(), p.errors(), where);
                assertNull(p.pending(), where);
                if (required) {
                    assertFalse(p.calls().isEmpty(), where);
                    assertTrue(p.content().isEmpty() || p.content().startsWith("<think>") && p.content().endsWith("</think>"), where);
                }
                for (ToolCall c : p.calls()) {
                    ToolDefinition tool = tools.stream().filter(t -> t.name().equals(c.name())).findFirst().orElseThrow(() -> new AssertionError(where));
                    Object schema = tool.parameters() == null ? Map.of("type", "object") : tool.parameters();
                    assertNull(SchemaValidator.validate(schema, StrictJson.parse(c.arguments())), where);
                    calls++;
                }
                if (p.hasCalls()) {
                    // the calls and their results go back into the conversation in the family's format
                    List<ToolCall> withIds = new ArrayList<>();
                    List<ChatMessage> next = new ArrayList<>(conversation);
                    for (int k = 0; k < p.calls().size(); k++) {
                        ToolCall c = p.calls().get(k);
                        withIds.add(new ToolCall("call0000" + k, c.name(), c.arguments()));
                    }
                    next.add(ChatMessage.assistant(p.content(), family.startsWith("llama") ? withIds.subList(0, 1) : withIds));
                    for (ToolCall c : next.getLast().toolCalls()) {
                        next.add(ChatMessage.toolResult(c.id(), c.name(), "{\"ok\": true}"));
                    }
                    if (family.equals("gemma") || family.startsWith("mistral")) {
                        next.add(ChatMessage.assistant("Done."));
                        next.add(ChatMessage.user("Thanks."));
                    }
                    String again = template.render(next, tools, true);
                    assertTrue(again.contains(withIds.getFirst().name()), again);
                }
            }
        }
        assertTrue(calls >= 3, family + ": only " + calls + " calls");
    }

    @Test
    void aControlTokenThatStandsForItsTextIsWrittenAsText() {
        // "<s>" is the control token BOS in this vocabulary and also three plain characters
        GrammarBuilder b = new GrammarBuilder();
        GrammarBuilder.Rule top = b.rule("top");
        top.finish(top.literal(top.start(), "<s>x"));
        GrammarConstraint c = GrammarConstraint.of(b.build(top), model.tokenizer(), List.of("<s>"));
        boolean usedControl = false;
        for (long seed = 0; seed < 12; seed++) {
            GenerationResult r = new Generator(model).generate(new GenerationRequest(model.encodeText("Say:"),
                    new SamplingParams(1f, 0, 1f, 0f, 1f, 64, seed), 10, List.of(), KvCacheConfig.full(), c), null, null);
            assertEquals("<s>x", r.text());
            usedControl |= r.tokens()[0] == model.tokenizer().bosId();
        }
        assertTrue(usedControl, "no seed sampled the control token");
    }

    @Test
    void toolDefinitionsKeepTheirSchemaOrder() {
        ToolDefinition t = ToolDefinition.of("f", "d", "{\"type\":\"object\",\"properties\":{\"b\":{},\"a\":{}}}");
        assertEquals("{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"d\",\"parameters\":"
                + "{\"type\":\"object\",\"properties\":{\"b\":{},\"a\":{}}}}}", Json.write(t.asTemplateValue()));
    }
}
