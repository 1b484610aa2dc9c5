package dev.chelsea.quarkus.it;

import dev.chelsea.langchain4j.ChelseaModelRegistry;
import dev.chelsea.quarkus.runtime.ChelseaModels;
import dev.chelsea.quarkus.runtime.ModelName;
import dev.langchain4j.model.chat.ChatModel;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The default and the named model are two beans with their own settings on one loaded file. */
@QuarkusTest
class NamedModelsTest {
    @Inject
    ChatModel defaultModel;

    @Inject
    @ModelName("story")
    ChatModel story;

    @Inject
    ChelseaModels models;

    @Test
    void namedModelsAreInjectedWithTheirSettingsAndShareTheFile() {
        assertSame(models.entry("<default>").orElseThrow().loaded(), models.entry("story").orElseThrow().loaded());
        // the "tools" model loads another file (the synthetic Llama); stories260K is loaded once for both beans
        assertEquals(1, ChelseaModelRegistry.shared().loaded().stream()
                .filter(m -> m.key().file().endsWith("stories260K.gguf")).count(), "stories260K is loaded once");
        var a = story.chat(dev.langchain4j.data.message.UserMessage.from("Once upon a time"));
        assertEquals(24, a.tokenUsage().outputTokenCount(), "the named model's max-tokens");
        var b = defaultModel.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from("Once upon a time")).temperature(0.0).build());
        assertEquals(64, b.tokenUsage().outputTokenCount(), "the default model's max-tokens");
        assertTrue(b.aiMessage().text().startsWith(a.aiMessage().text()));
    }
}
