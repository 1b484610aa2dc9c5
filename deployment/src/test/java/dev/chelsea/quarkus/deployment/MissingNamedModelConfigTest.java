package dev.chelsea.quarkus.deployment;

import dev.chelsea.quarkus.runtime.ModelName;
import dev.langchain4j.model.chat.ChatModel;
import io.quarkus.test.QuarkusUnitTest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/** Injecting a named model that has no configuration fails the boot, naming the property to set. */
class MissingNamedModelConfigTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClass(Service.class))
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.\"poems\".chat-model.model-path",
                    "no model configured for 'poems'"));

    @ApplicationScoped
    static class Service {
        @Inject
        @ModelName("poems")
        ChatModel poems;
    }

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
