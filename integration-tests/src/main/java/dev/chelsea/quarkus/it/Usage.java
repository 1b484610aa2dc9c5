package dev.chelsea.quarkus.it;

/** Tokens read and written for one answer. */
public record Usage(int promptTokens, int completionTokens, int totalTokens) {
    static Usage of(dev.langchain4j.model.output.TokenUsage u) {
        return new Usage(u.inputTokenCount(), u.outputTokenCount(), u.totalTokenCount());
    }
}
