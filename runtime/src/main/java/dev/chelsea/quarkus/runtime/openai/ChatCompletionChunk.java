package dev.chelsea.quarkus.runtime.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/**
 * One server-sent event of a streamed answer: OpenAI's {@code chat.completion.chunk}. The first
 * carries the role, the last the finish reason; with {@code stream_options.include_usage} one more
 * follows with no choices and the usage. The stream ends with {@code data: [DONE]}.
 */
@Schema(name = "ChatCompletionChunk", description = "Sent as 'data: {...}' lines; the stream ends with 'data: [DONE]'")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatCompletionChunk(String id, @Schema(enumeration = "chat.completion.chunk") String object, long created, String model,
                                  List<Choice> choices, ChatCompletion.Usage usage) {

    @Schema(name = "ChatCompletionChunkChoice")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Choice(int index, Delta delta,
                         @JsonProperty("finish_reason") @Schema(enumeration = {"stop", "length"}) String finishReason) {
    }

    @Schema(name = "ChatCompletionChunkDelta")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(@Schema(enumeration = "assistant") String role, String content) {
    }
}
