package dev.chelsea.quarkus.runtime.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.langchain4j.model.output.TokenUsage;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** A whole answer: OpenAI's {@code chat.completion}. */
@Schema(name = "ChatCompletion")
public record ChatCompletion(
        @Schema(description = "chatcmpl-..., the same in every chunk of a stream") String id,
        @Schema(enumeration = "chat.completion") String object,
        @Schema(description = "Unix seconds") long created,
        String model,
        List<Choice> choices,
        Usage usage) {

    @Schema(name = "ChatCompletionChoice")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Choice(int index, AssistantMessage message,
                         @JsonProperty("finish_reason") @Schema(enumeration = {"stop", "length"}) String finishReason) {
    }

    @Schema(name = "ChatCompletionAssistantMessage")
    public record AssistantMessage(@Schema(enumeration = "assistant") String role, String content) {
    }

    /** Tokens read and written. */
    @Schema(name = "CompletionUsage")
    public record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("completion_tokens") int completionTokens,
                        @JsonProperty("total_tokens") int totalTokens) {
        static Usage of(TokenUsage u) {
            return new Usage(u.inputTokenCount(), u.outputTokenCount(), u.totalTokenCount());
        }
    }
}
