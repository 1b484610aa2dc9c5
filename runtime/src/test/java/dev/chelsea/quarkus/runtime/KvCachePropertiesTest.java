package dev.chelsea.quarkus.runtime;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every KV cache option of the command line ({@code --kv}, {@code --kept-ratio}, {@code --budget},
 * {@code --chunk}, {@code --sinks}, {@code --window}, {@code --no-size-bias}, {@code --layer-budgets},
 * {@code --global-topk}, {@code --prompt-chunk}, {@code --kv-max-bytes}, {@code --kv-type}) is a property that reaches the engine's record, with the engine's defaults
 * and the engine's checks.
 */
class KvCachePropertiesTest {
    private static final String P = "quarkus.langchain4j.chelsea.";

    private static ModelSetup setup(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(ChelseaConfig.class)
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withConverter(java.time.Duration.class, 100, new io.quarkus.runtime.configuration.DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .build();
        ChelseaConfig root = config.getConfigMapping(ChelseaConfig.class);
        return new ModelSetup(ChelseaConfig.DEFAULT_NAME, root.defaultConfig(), root, null);
    }

    @Test
    void everyOptionOfTheCommandLineIsAProperty() {
        ModelSetup s = setup(Map.of(
                P + "kv-cache.policy", "chelsea",
                P + "kv-cache.kept-ratio", "0.25",
                P + "kv-cache.budget", "0",
                P + "kv-cache.chunk-size", "32",
                P + "kv-cache.sink-tokens", "8",
                P + "kv-cache.recent-window", "16",
                P + "kv-cache.size-bias", "false",
                P + "kv-cache.layer-budgets", "pyramid",
                P + "kv-cache.global-topk", "true",
                P + "kv-cache.prompt-chunk", "512"));
        assertEquals(Optional.of(new KvCacheConfig("chelsea", 0.25, 0, 32, 8, 16, false, "pyramid", true, 512)), s.kvCache());
    }

    @Test
    void aLimitInBytesIsAMemorySize() {
        assertEquals(Optional.of(KvCacheConfig.defaults().withMaxBytes(2L << 30)), setup(Map.of(P + "kv-cache.max-bytes", "2G")).kvCache());
        assertEquals(Optional.of(KvCacheConfig.defaults().withPolicy("full").withMaxBytes(512L << 20)),
                setup(Map.of(P + "kv-cache.policy", "full", P + "kv-cache.max-bytes", "512M")).kvCache());
        assertEquals(0, setup(Map.of()).kvCache().orElseThrow().maxBytes(), "no limit unless one is set");
    }

    @Test
    void theKvTypeIsAProperty() {
        assertEquals(Optional.of(KvCacheConfig.defaults().withKvType(dev.chelsea.engine.kv.KvType.F32)),
                setup(Map.of(P + "kv-cache.kv-type", "f32")).kvCache());
        assertEquals(dev.chelsea.engine.kv.KvType.F16, setup(Map.of()).kvCache().orElseThrow().kvType(), "half floats unless told");
        ModelSetup bad = setup(Map.of(P + "chat-model.model-path", "/nonexistent/model.gguf", P + "kv-cache.kv-type", "f8"));
        assertEquals(Optional.empty(), bad.kvCache());
        List<String> problems = bad.validate();
        assertTrue(problems.contains(P + "kv-cache.kv-type: " + message(() -> dev.chelsea.engine.kv.KvType.parse("f8"))), problems.toString());
    }

    @Test
    void theDefaultsAreTheEngines() {
        assertEquals(Optional.of(KvCacheConfig.defaults()), setup(Map.of()).kvCache());
    }

    @Test
    void badValuesAreReportedByTheEnginesRulesUnderTheirProperties() {
        ModelSetup s = setup(Map.of(
                P + "chat-model.model-path", "/nonexistent/model.gguf",
                P + "kv-cache.layer-budgets", "zigzag",
                P + "kv-cache.chunk-size", "1",
                P + "kv-cache.kept-ratio", "0"));
        assertEquals(Optional.empty(), s.kvCache());
        List<String> problems = s.validate();
        assertTrue(problems.contains(P + "kv-cache.layer-budgets: " + message(() -> KvCacheConfig.defaults().withLayerBudgets("zigzag"))),
                problems.toString());
        assertTrue(problems.contains(P + "kv-cache.chunk-size: " + message(() -> KvCacheConfig.defaults().withChunkSize(1))),
                problems.toString());
        assertTrue(problems.contains(P + "kv-cache.kept-ratio: " + message(() -> KvCacheConfig.defaults().withKeptRatio(0))),
                problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith(P + "chat-model.model-path: model file not found")), problems.toString());
    }

    @Test
    void aPromptChunkShorterThanAChunkIsThePromptChunksProblem() {
        ModelSetup s = setup(Map.of(
                P + "chat-model.model-path", "/nonexistent/model.gguf",
                P + "kv-cache.chunk-size", "32",
                P + "kv-cache.prompt-chunk", "16"));
        List<String> problems = s.validate();
        assertTrue(problems.contains(P + "kv-cache.prompt-chunk: "
                + message(() -> KvCacheConfig.defaults().withChunkSize(32).withPromptChunk(16))), problems.toString());
        assertTrue(problems.stream().noneMatch(p -> p.startsWith(P + "kv-cache.budget")), problems.toString());
    }

    /** The engine's own message for a bad value. */
    private static String message(Runnable bad) {
        try {
            bad.run();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("the engine accepted a value this test takes as bad");
    }
}
