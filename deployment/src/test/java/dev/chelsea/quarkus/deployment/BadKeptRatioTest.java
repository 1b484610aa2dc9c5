package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

class BadKeptRatioTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.kv-cache.kept-ratio", "1.5")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.kv-cache.kept-ratio",
                    "must be in (0, 1], got 1.5"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
