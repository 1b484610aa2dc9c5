package dev.chelsea.engine.grammar;

import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.generate.StopReason;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.testing.Shared;
import dev.chelsea.engine.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property tests through the {@link Generator}: random schemas of the supported subset, random-weight
 * models of four architectures, random seeds, temperature 1 with no other filtering, so every
 * allowed token gets sampled sooner or later. Every output must be valid UTF-8, parse as strict
 * JSON, validate against its schema (checked by an independent validator), and end on its own
 * (the value closes, or end-of-generation once it is complete) within the token limit, tight
 * limits included.
 */
class ConstrainedGenerationTest {
    private static final int SCHEMAS = 12;

    @ParameterizedTest
    @ValueSource(strings = {"llama-q8_0", "qwen2-q8_0", "qwen3-q8_0", "llama31-tied-f16"})
    void everyOutputParsesAndValidates(String name) {
        try (Model model = Model.load(Shared.resolve("models/synthetic/" + name + ".gguf"), new ModelOptions(1, 1024, dev.chelsea.engine.backend.BackendChoice.CPU))) {
            Generator generator = new Generator(model);
            int[] prompt = model.encodeText("Answer in JSON:");
            for (long seed = 0; seed < SCHEMAS; seed++) {
                Map<String, Object> schema = new RandomSchemas(seed * 31 + name.hashCode()).objectSchema();
                Grammar grammar = JsonSchemaGrammar.compile(schema, JsonSchemaOptions.DEFAULTS);
                GrammarConstraint constraint = GrammarConstraint.of(grammar, model.tokenizer());
                // roomy, then tight: the shortest value plus a few tokens, so the budget decides the end
                for (int maxTokens : new int[]{300, grammar.minimumLength() + 3}) {
                    GenerationRequest request = new GenerationRequest(prompt, new SamplingParams(1f, 0, 1f, 0f, 1f, 64, seed),
                            maxTokens, List.of(), KvCacheConfig.full(), constraint);
                    GenerationResult r = generator.generate(request, null, null);
                    String where = name + " seed " + seed + " max " + maxTokens + " schema " + Json.write(schema) + "\noutput: " + r.text();
                    assertEquals(StopReason.STOP_TOKEN, r.stopReason(), where);
                    assertTrue(r.tokens().length <= maxTokens, where);
                    String strict = strictUtf8(model.tokenizer(), r.tokens(), where);
                    assertEquals(strict, r.text(), where);
                    Object value;
                    try {
                        value = StrictJson.parse(r.text());
                    } catch (IllegalArgumentException e) {
                        throw new AssertionError(where, e);
                    }
                    assertNull(SchemaValidator.validate(schema, value), where);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5})
    void belowTheShortestValueTheOutputIsCutAtTheLimit(int maxTokens) {
        try (Model model = Model.load(Shared.resolve("models/synthetic/llama-q8_0.gguf"), new ModelOptions(1, 256, dev.chelsea.engine.backend.BackendChoice.CPU))) {
            Grammar grammar = JsonSchemaGrammar.compile("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                    + "\"age\":{\"type\":\"integer\"}},\"required\":[\"name\",\"age\"]}");
            assertTrue(grammar.minimumLength() > maxTokens);
            GenerationRequest request = new GenerationRequest(model.encodeText("JSON:"), new SamplingParams(1f, 0, 1f, 0f, 1f, 64, 7),
                    maxTokens, List.of(), KvCacheConfig.full(), GrammarConstraint.of(grammar, model.tokenizer()));
            GenerationResult r = new Generator(model).generate(request, null, null);
            assertEquals(StopReason.MAX_TOKENS, r.stopReason());
            assertTrue(grammar.acceptsPrefix(r.text()) && !grammar.accepts(r.text()), r.text());
        }
    }

    private static String strictUtf8(Tokenizer tok, int[] tokens, String where) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int t : tokens) {
            bytes.writeBytes(tok.tokenBytes(t));
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            return fail("output is not valid UTF-8: " + where);
        }
    }
}
