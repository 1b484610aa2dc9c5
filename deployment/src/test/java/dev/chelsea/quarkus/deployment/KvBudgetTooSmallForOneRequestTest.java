package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/** A budget smaller than one request over the whole context is the context length's problem. */
class KvBudgetTooSmallForOneRequestTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.context-length", "512")
            .overrideConfigKey("quarkus.langchain4j.chelsea.kv-memory.budget", "64K")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.chat-model.context-length",
                    "whose prompt fills its context of 512 tokens needs"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
