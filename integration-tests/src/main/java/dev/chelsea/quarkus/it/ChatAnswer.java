package dev.chelsea.quarkus.it;

/** The answer to a conversation. */
public record ChatAnswer(String answer, String model, String finishReason, Usage usage) {
}
