package dev.chelsea.quarkus.runtime.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.Map;

/**
 * OpenAI's chat completion request. The fields a local model honours are used; those it cannot
 * honour are refused with a 400 naming them (never silently ignored); fields that change nothing
 * about the answer ({@code user}, {@code store}, {@code metadata}...) are ignored.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@Schema(name = "ChatCompletionRequest", description = "OpenAI's chat completion request, as far as a local model can honour it")
public record ChatCompletionRequest(
        @Schema(description = "A configured model by name; 'default' or no model: the default model", examples = "default")
        String model,
        @Schema(required = true, description = "The conversation, oldest first; the last message must not be the assistant's")
        List<Message> messages,
        @Schema(description = "Sampling temperature; 0 is greedy and deterministic", minimum = "0", maximum = "2")
        Double temperature,
        @JsonProperty("top_p") @Schema(description = "Nucleus sampling", minimum = "0", exclusiveMinimum = true, maximum = "1")
        Double topP,
        @JsonProperty("top_k") @Schema(description = "Keep only the k most likely tokens (0 = off); not in OpenAI's API", minimum = "0")
        Integer topK,
        @JsonProperty("min_p") @Schema(description = "Drop tokens less likely than this fraction of the most likely one; not in OpenAI's API",
                minimum = "0", maximum = "1")
        Double minP,
        @JsonProperty("repetition_penalty") @Schema(description = "Penalty for repeating recent tokens (1 = off); not in OpenAI's API",
                minimum = "0", exclusiveMinimum = true)
        Double repetitionPenalty,
        @JsonProperty("max_tokens") @Schema(description = "Most tokens in the answer; the model's configured max-tokens is the ceiling",
                minimum = "1")
        Integer maxTokens,
        @JsonProperty("max_completion_tokens") @Schema(description = "The same as max_tokens (wins when both are sent)", minimum = "1")
        Integer maxCompletionTokens,
        @Schema(description = "Strings that end the answer (not part of it): a string or an array of strings")
        StopSequences stop,
        @Schema(description = "The same seed, prompt and settings give the same answer")
        Long seed,
        @Schema(description = "true: answer as server-sent chat.completion.chunk events ending with 'data: [DONE]'")
        Boolean stream,
        @JsonProperty("stream_options")
        StreamOptions streamOptions,
        @Schema(description = "Choices per request: only 1", minimum = "1", maximum = "1")
        Integer n,
        @Schema(description = "Not supported yet: a request with tools is refused")
        List<Tool> tools,
        @JsonProperty("tool_choice") @Schema(description = "Only with tools")
        ToolChoice toolChoice,
        @JsonProperty("response_format") @Schema(description = "Only {\"type\": \"text\"} is supported")
        ResponseFormat responseFormat,
        @JsonProperty("frequency_penalty") @Schema(description = "Not supported (0 only): use repetition_penalty")
        Double frequencyPenalty,
        @JsonProperty("presence_penalty") @Schema(description = "Not supported (0 only): use repetition_penalty")
        Double presencePenalty,
        @Schema(description = "Not supported (false only)")
        Boolean logprobs,
        @JsonProperty("top_logprobs") @Schema(description = "Not supported")
        Integer topLogprobs,
        @JsonProperty("logit_bias") @Schema(description = "Not supported")
        Map<String, Double> logitBias,
        @Schema(description = "OpenAI's deprecated form of tools: not supported")
        List<Map<String, Object>> functions,
        @JsonProperty("function_call") @Schema(description = "OpenAI's deprecated form of tool_choice: not supported")
        Object functionCall,
        @Schema(description = "Output modalities: only [\"text\"]")
        List<String> modalities,
        @Schema(description = "Audio output: not supported")
        Map<String, Object> audio,
        @JsonProperty("reasoning_effort") @Schema(description = "Not supported")
        String reasoningEffort,
        @JsonProperty("web_search_options") @Schema(description = "Not supported")
        Map<String, Object> webSearchOptions) {

    /** One message of the conversation. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @Schema(name = "ChatCompletionMessage")
    public record Message(
            @Schema(required = true, enumeration = {"system", "developer", "user", "assistant", "tool"})
            String role,
            @Schema(description = "A string, or an array of content parts (only text parts can be read)")
            MessageContent content,
            @Schema(description = "The participant's name: not used")
            String name,
            @JsonProperty("tool_calls") @Schema(description = "Tool calls of an assistant message: not supported yet")
            List<ToolCall> toolCalls,
            @JsonProperty("tool_call_id") @Schema(description = "The call a tool message answers: not supported yet")
            String toolCallId) {
    }

    /** One part of a message's content. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @Schema(name = "ChatCompletionContentPart")
    public record ContentPart(
            @Schema(required = true, description = "Only 'text' parts can be read", enumeration = {"text", "image_url", "input_audio", "file"})
            String type,
            String text,
            @JsonProperty("image_url") ImageUrl imageUrl,
            @JsonProperty("input_audio") Map<String, Object> inputAudio,
            Map<String, Object> file) {
    }

    @Schema(name = "ChatCompletionImageUrl")
    public record ImageUrl(String url, String detail) {
    }

    @Schema(name = "ChatCompletionStreamOptions")
    public record StreamOptions(@JsonProperty("include_usage") @Schema(description = "Send a last chunk with the token usage")
                                Boolean includeUsage) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @Schema(name = "ChatCompletionTool")
    public record Tool(@Schema(enumeration = "function") String type, FunctionDefinition function) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @Schema(name = "ChatCompletionFunctionDefinition")
    public record FunctionDefinition(String name, String description,
                                     @Schema(description = "A JSON schema of the arguments") Map<String, Object> parameters,
                                     Boolean strict) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @Schema(name = "ChatCompletionToolCall")
    public record ToolCall(String id, String type, FunctionCall function) {
    }

    @Schema(name = "ChatCompletionFunctionCall")
    public record FunctionCall(String name, String arguments) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @Schema(name = "ChatCompletionResponseFormat")
    public record ResponseFormat(@Schema(required = true, enumeration = {"text", "json_object", "json_schema"}) String type,
                                 @JsonProperty("json_schema") JsonSchemaFormat jsonSchema) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @Schema(name = "ChatCompletionJsonSchema")
    public record JsonSchemaFormat(String name, String description, Map<String, Object> schema, Boolean strict) {
    }
}
