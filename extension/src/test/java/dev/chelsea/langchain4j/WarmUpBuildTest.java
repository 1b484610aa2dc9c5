package dev.chelsea.langchain4j;

import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.WarmUp;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code warmUp(true)} warms the loaded model once, before the chat model is returned; the default does not. */
class WarmUpBuildTest {
    private final ChelseaModelRegistry registry = new ChelseaModelRegistry(key -> Model.load(key.file(), key.options()));

    private ChelseaChatModel.Builder builder() {
        return ChelseaChatModel.builder().registry(registry).modelPath(Stories.path()).threads(2).contextLength(512).temperature(0.0);
    }

    @Test
    void warmsUpOncePerLoadedModel() {
        try (ChelseaChatModel first = builder().warmUp(true).build(); ChelseaChatModel second = builder().warmUp(true).build()) {
            WarmUp.Report report = first.loadedModel().warmedUp();
            assertNotNull(report);
            assertTrue(report.prefills() >= 1 && report.decodeSteps() >= 8, report.toString());
            assertSame(first.loadedModel(), second.loadedModel());
            assertSame(report, second.loadedModel().warmedUp(), "the second build found the model warm");
            ChatResponse r = first.chat(dev.langchain4j.data.message.UserMessage.from("Once upon a time"));
            assertTrue(r.aiMessage().text() != null);
        }
    }

    @Test
    void noWarmUpByDefault() {
        try (ChelseaChatModel m = builder().build()) {
            assertNull(m.loadedModel().warmedUp());
            assertEquals(1, registry.loadCount());
        }
    }
}
