package dev.chelsea.quarkus.it;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/** OpenAI's response shapes: a completion, a streamed chunk and usage. */
final class OpenAiResponses {
    private OpenAiResponses() {
    }

    record Completion(String id, String object, long created, String model, List<Choice> choices, OpenAiUsage usage) {
    }

    record Choice(int index, AssistantMessage message, @JsonProperty("finish_reason") String finishReason) {
    }

    record AssistantMessage(String role, String content) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Chunk(String id, String object, long created, String model, List<ChunkChoice> choices, OpenAiUsage usage) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChunkChoice(int index, Delta delta, @JsonProperty("finish_reason") String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {
    }

    record OpenAiUsage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("completion_tokens") int completionTokens,
                       @JsonProperty("total_tokens") int totalTokens) {
        static OpenAiUsage of(dev.langchain4j.model.output.TokenUsage u) {
            return new OpenAiUsage(u.inputTokenCount(), u.outputTokenCount(), u.totalTokenCount());
        }
    }

    record ModelList(String object, List<ModelInfo> data) {
    }

    record ModelInfo(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }
}
