package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.fail;

/** A Hugging Face model needs a quantization, checked before any download is tried. */
class DownloadSettingsTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-name", "bartowski/Llama-3.2-1B-Instruct-GGUF")
            .overrideConfigKey("quarkus.langchain4j.chelsea.hugging-face.base-url", "http://127.0.0.1:9")
            .assertException(StartupFailures.namesProperty("quarkus.langchain4j.chelsea.chat-model.quantization",
                    "required with model-name"));

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
