package dev.chelsea.quarkus.it;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** The subset of OpenAI's chat completion request that a local model can honour; the rest is refused or ignored. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OpenAiChatRequest(
        String model,
        @Schema(required = true, description = "role and content (a string, or an array of text parts)") List<OpenAiMessage> messages,
        Double temperature,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("max_tokens") Integer maxTokens,
        @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
        @Schema(description = "a string or an array of strings") JsonNode stop,
        Long seed,
        Boolean stream,
        @JsonProperty("stream_options") StreamOptions streamOptions,
        Integer n,
        List<JsonNode> tools,
        @JsonProperty("response_format") JsonNode responseFormat,
        @JsonProperty("frequency_penalty") Double frequencyPenalty,
        @JsonProperty("presence_penalty") Double presencePenalty) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record OpenAiMessage(String role, @Schema(implementation = String.class) JsonNode content) {
    }
}
