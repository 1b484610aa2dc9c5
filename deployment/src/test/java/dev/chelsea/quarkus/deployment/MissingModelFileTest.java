package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

class MissingModelFileTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", "/nonexistent/model-Q4_K_M.gguf")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.chat-model.model-path",
                    "model file not found: /nonexistent/model-Q4_K_M.gguf"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
