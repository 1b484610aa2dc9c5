package dev.chelsea.quarkus.it;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** A conversation to answer, with optional sampling settings (the model's configuration gives the rest). */
public record ChatRequestBody(
        @Schema(required = true) List<Message> messages,
        @Schema(description = "A named model; default: the default model") String model,
        @Schema(description = "Most tokens in the answer; the model's configured max-tokens is the ceiling") Integer maxTokens,
        Double temperature,
        Double topP,
        Integer topK,
        @Schema(description = "Same seed, same settings, same answer") Long seed,
        List<String> stop) {
}
