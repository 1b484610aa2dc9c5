package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/** Several bad settings at once: every one is reported, each under its own property. */
class SettingsUnderTheirPropertiesTest {
    private static final String P = "quarkus.langchain4j.chelsea.";

    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey(P + "chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey(P + "chat-model.chat-template", "klingon")
            .overrideConfigKey(P + "chat-model.top-p", "1.5")
            .overrideConfigKey(P + "chat-model.max-concurrent-requests", "0")
            .overrideConfigKey(P + "chat-model.backend", "tpu")
            .overrideConfigKey(P + "kv-cache.kept-ratio", "1.5")
            .overrideConfigKey(P + "kv-cache.layer-budgets", "zigzag")
            .overrideConfigKey(P + "\"story\".chat-model.model-path", "${chelsea.shared}/models")
            .assertException(t -> {
                StartupFailures.namesProperty(P + "chat-model.chat-template", "unknown chat template family 'klingon'").accept(t);
                StartupFailures.namesProperty(P + "chat-model.top-p", "must be in (0, 1], got 1.5").accept(t);
                StartupFailures.namesProperty(P + "chat-model.max-concurrent-requests", "at least 1, got 0").accept(t);
                StartupFailures.namesProperty(P + "chat-model.backend", "unknown backend 'tpu'").accept(t);
                StartupFailures.namesProperty(P + "kv-cache.kept-ratio", "must be in (0, 1], got 1.5").accept(t);
                StartupFailures.namesProperty(P + "kv-cache.layer-budgets", "unknown per-layer budget schedule 'zigzag'").accept(t);
                StartupFailures.namesProperty(P + "\"story\".chat-model.model-path", "is a directory").accept(t);
            });

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
