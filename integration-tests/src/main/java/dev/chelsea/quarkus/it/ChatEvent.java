package dev.chelsea.quarkus.it;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One server-sent event of a streamed answer: {@code token} events, then one {@code done} or {@code error}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatEvent(String type, String text, String finishReason, Usage usage, String error) {
    static ChatEvent token(String text) {
        return new ChatEvent("token", text, null, null, null);
    }

    static ChatEvent done(String finishReason, Usage usage) {
        return new ChatEvent("done", null, finishReason, usage, null);
    }

    static ChatEvent error(String message) {
        return new ChatEvent("error", null, null, null, message);
    }
}
