package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A KV limit in bytes below what the policy needs in the model's store (sinks + window + slack + 1
 * slots; 202,160 bytes for Chelsea's defaults on stories260K in f32) fails at startup with the least.
 */
class KvMaxBytesTooSmallTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.context-length", "512")
            .overrideConfigKey("quarkus.langchain4j.chelsea.kv-cache.max-bytes", "100K")
            .overrideConfigKey("quarkus.langchain4j.chelsea.kv-cache.kv-type", "f32")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.kv-cache.max-bytes",
                    "KV max-bytes 102400 is too small for policy 'chelsea': it needs at least 202160 bytes"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
