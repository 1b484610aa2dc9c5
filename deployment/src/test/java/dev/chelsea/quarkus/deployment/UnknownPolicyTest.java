package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/** A named model with an unknown policy: the message names the quoted model's property. */
class UnknownPolicyTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.\"story\".chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.\"story\".kv-cache.policy", "lru")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.\"story\".kv-cache.policy",
                    "unknown KV cache policy 'lru' (known: full, chelsea, streaming, h2o, snapkv)"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
