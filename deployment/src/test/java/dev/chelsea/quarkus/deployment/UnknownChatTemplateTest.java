package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/** A problem found only when the model is loaded is still tied to its property. */
class UnknownChatTemplateTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.chat-template", "klingon")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.chat-model.chat-template",
                    "unknown chat template family 'klingon'"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
