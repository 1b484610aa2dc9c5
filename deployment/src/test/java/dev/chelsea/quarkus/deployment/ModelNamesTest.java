package dev.chelsea.quarkus.deployment;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ModelNamesTest {
    @Test
    void findsQuotedAndPlainNamesOfModelProperties() {
        assertEquals("story", ChelseaProcessor.nameOf("\"story\".chat-model.model-path"));
        assertEquals("my.model", ChelseaProcessor.nameOf("\"my.model\".kv-cache.policy"));
        assertEquals("story", ChelseaProcessor.nameOf("story.enable-integration"));
    }

    @Test
    void ignoresPropertiesThatAreNotAModel() {
        assertNull(ChelseaProcessor.nameOf("models-path"));
        assertNull(ChelseaProcessor.nameOf("hugging-face.base-url"));
        assertNull(ChelseaProcessor.nameOf("health.enabled"));
        assertNull(ChelseaProcessor.nameOf("\"unclosed.chat-model.model-path"));
    }
}
