package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.generate.StopReason;

/**
 * One finished (or failed) generation, for metrics.
 *
 * @param model     the chat model's name as configured (for Quarkus: the named model, or {@code <default>})
 * @param modelFile the loaded file's name
 * @param stats     token counts, speeds and KV cache figures; null when the request failed before generating
 * @param reason    why it stopped; null when it failed
 * @param error     the failure, or null
 */
public record GenerationEvent(String model, String modelFile, GenerationStats stats, StopReason reason, Throwable error) {

    public boolean failed() {
        return error != null;
    }
}
