package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/** A repository name that could lead out of the models folder is refused before anything is fetched. */
class UnsafeRepositoryNameTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-name", "../../etc")
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.quantization", "Q8_0")
            // nothing listens there: a request would fail otherwise than the check
            .overrideConfigKey("quarkus.langchain4j.chelsea.hugging-face.base-url", "http://127.0.0.1:9")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.chat-model.model-name",
                    "is not a Hugging Face repository name"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
