package dev.chelsea.quarkus.runtime.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
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
                         @JsonProperty("finish_reason") @Schema(enumeration = {"stop", "length", "tool_calls"}) String finishReason) {
    }

    @Schema(name = "ChatCompletionAssistantMessage")
    public record AssistantMessage(@Schema(enumeration = "assistant") String role,
                                   @Schema(description = "The answer's text; null when the answer is only tool calls") String content,
                                   @JsonProperty("tool_calls") @JsonInclude(JsonInclude.Include.NON_EMPTY)
                                   @Schema(description = "The tools the model calls, with arguments valid for their schemas")
                                   List<ToolCall> toolCalls) {
    }

    /** A call as OpenAI writes it: {@code {"id", "type": "function", "function": {"name", "arguments"}}}. */
    @Schema(name = "ChatCompletionMessageToolCall")
    public record ToolCall(String id, @Schema(enumeration = "function") String type, Function function) {
        static ToolCall of(ToolExecutionRequest r) {
            return new ToolCall(r.id(), "function", new Function(r.name(), r.arguments()));
        }
    }

    @Schema(name = "ChatCompletionMessageToolCallFunction")
    public record Function(String name, @Schema(description = "The arguments as a JSON text") String arguments) {
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
