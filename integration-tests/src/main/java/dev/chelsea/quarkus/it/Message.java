package dev.chelsea.quarkus.it;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One message of a conversation. */
public record Message(
        @Schema(description = "system, developer, user or assistant", examples = "user") String role,
        @Schema(description = "The message text", examples = "Once upon a time") String content) {
}
