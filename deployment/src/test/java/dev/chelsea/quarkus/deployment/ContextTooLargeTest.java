package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/** A context the heap cannot hold is the context length's problem, not the model file's. */
class ContextTooLargeTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.context-length", "1000000000")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.chat-model.context-length",
                    "lower the context length"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
