package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/** A backend this build cannot run is the backend's problem, not the model file's. */
class UnavailableBackendTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.backend", "cuda")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.chat-model.backend", "cuda"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
