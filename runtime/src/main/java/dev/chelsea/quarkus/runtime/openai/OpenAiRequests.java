package dev.chelsea.quarkus.runtime.openai;

import dev.chelsea.langchain4j.ChelseaChatRequestParameters;
import dev.chelsea.langchain4j.RequestParameter;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.AudioContent;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.PdfFileContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns an OpenAI request into a LangChain4j one. What OpenAI's wire format has and LangChain4j
 * has too (tools, tool choice, response formats, penalties, images) is translated, and the chat
 * model's one check refuses what it cannot do, naming the parameter; this class refuses only what
 * LangChain4j has no words for ({@code n}, {@code logprobs}, {@code logit_bias}...) and the rules of
 * OpenAI's API itself (the temperature range, the roles).
 */
final class OpenAiRequests {
    static final String ROLES = "system, developer, user, assistant, tool";

    /**
     * The request, and for each LangChain4j message the index of the OpenAI message it came from
     * (blank system messages are dropped), to name the right message in errors.
     */
    record Converted(ChatRequest request, List<Integer> origins, boolean maxCompletionTokens) {
        /** The OpenAI name of a {@link RequestParameter}. */
        String param(String parameter) {
            if (parameter == null) {
                return null;
            }
            if (parameter.startsWith(RequestParameter.MESSAGES + "[")) {
                int close = parameter.indexOf(']');
                int i = Integer.parseInt(parameter.substring(RequestParameter.MESSAGES.length() + 1, close));
                return "messages[" + (i < origins.size() ? origins.get(i) : i) + "]" + parameter.substring(close + 1);
            }
            return switch (parameter) {
                case RequestParameter.TOP_P -> "top_p";
                case RequestParameter.TOP_K -> "top_k";
                case RequestParameter.MIN_P -> "min_p";
                case RequestParameter.REPETITION_PENALTY -> "repetition_penalty";
                case RequestParameter.MAX_OUTPUT_TOKENS -> maxCompletionTokens ? "max_completion_tokens" : "max_tokens";
                case RequestParameter.STOP_SEQUENCES -> "stop";
                case RequestParameter.TOOL_SPECIFICATIONS -> "tools";
                case RequestParameter.TOOL_CHOICE -> "tool_choice";
                case RequestParameter.RESPONSE_FORMAT -> "response_format";
                case RequestParameter.FREQUENCY_PENALTY -> "frequency_penalty";
                case RequestParameter.PRESENCE_PENALTY -> "presence_penalty";
                default -> parameter;
            };
        }
    }

    private OpenAiRequests() {
    }

    static Converted convert(ChatCompletionRequest b) {
        refuseWhatLangChain4jCannotSay(b);
        if (b.temperature() != null && !(b.temperature() >= 0 && b.temperature() <= 2)) {
            throw OpenAiException.invalid("temperature", "temperature must be between 0 and 2, got " + b.temperature());
        }
        List<Integer> origins = new ArrayList<>();
        List<ChatMessage> messages = messages(b.messages(), origins);
        var parameters = ChelseaChatRequestParameters.builder()
                .temperature(b.temperature())
                .topP(b.topP())
                .topK(b.topK())
                .minP(b.minP())
                .repetitionPenalty(b.repetitionPenalty())
                .seed(b.seed())
                .maxOutputTokens(b.maxCompletionTokens() != null ? b.maxCompletionTokens() : b.maxTokens())
                .stopSequences(b.stop() == null ? null : b.stop().values())
                .frequencyPenalty(b.frequencyPenalty())
                .presencePenalty(b.presencePenalty())
                .responseFormat(responseFormat(b.responseFormat()));
        List<ToolSpecification> tools = tools(b.tools());
        if (!tools.isEmpty()) {
            parameters.toolSpecifications(tools).toolChoice(toolChoice(b.toolChoice()));
        } else if (b.toolChoice() != null) {
            throw OpenAiException.invalid("tool_choice", "tool_choice is only allowed when tools are sent");
        }
        ChatRequest request = ChatRequest.builder().messages(messages).parameters(parameters.build()).build();
        return new Converted(request, origins, b.maxCompletionTokens() != null);
    }

    /** OpenAI features that LangChain4j's requests have no field for: refused here, each by name. */
    private static void refuseWhatLangChain4jCannotSay(ChatCompletionRequest b) {
        if (b.n() != null && b.n() != 1) {
            throw OpenAiException.invalid("n", "only one choice per request is supported (n = 1), got n = " + b.n());
        }
        if (Boolean.TRUE.equals(b.logprobs())) {
            throw OpenAiException.invalid("logprobs", "logprobs are not supported: send logprobs false or leave it out");
        }
        if (b.topLogprobs() != null && b.topLogprobs() != 0) {
            throw OpenAiException.invalid("top_logprobs", "top_logprobs are not supported: leave top_logprobs out");
        }
        if (b.logitBias() != null && !b.logitBias().isEmpty()) {
            throw OpenAiException.invalid("logit_bias", "logit_bias is not supported: leave it out");
        }
        if (b.functions() != null && !b.functions().isEmpty()) {
            throw OpenAiException.invalid("functions", "functions are OpenAI's deprecated form of tools and are not supported");
        }
        if (b.functionCall() != null) {
            throw OpenAiException.invalid("function_call", "function_call is OpenAI's deprecated form of tool_choice and is not supported");
        }
        if (b.modalities() != null && !b.modalities().equals(List.of("text"))) {
            throw OpenAiException.invalid("modalities", "only text output is supported: send [\"text\"] or leave modalities out, got "
                    + b.modalities());
        }
        if (b.audio() != null) {
            throw OpenAiException.invalid("audio", "audio output is not supported: leave audio out");
        }
        if (b.reasoningEffort() != null) {
            throw OpenAiException.invalid("reasoning_effort", "reasoning_effort is not supported: leave it out");
        }
        if (b.webSearchOptions() != null) {
            throw OpenAiException.invalid("web_search_options", "web search is not supported: leave web_search_options out");
        }
    }

    private static List<ChatMessage> messages(List<ChatCompletionRequest.Message> in, List<Integer> origins) {
        if (in == null || in.isEmpty()) {
            throw OpenAiException.invalid("messages", "messages must not be empty: send at least one message");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            ChatCompletionRequest.Message m = in.get(i);
            String where = "messages[" + i + "]";
            if (m == null) {
                throw OpenAiException.invalid(where, where + " is null: send an object with a role and content");
            }
            if (m.role() == null || m.role().isBlank()) {
                throw OpenAiException.invalid(where + ".role", where + ".role is missing (one of " + ROLES + ")");
            }
            ChatMessage message = switch (m.role().toLowerCase(Locale.ROOT)) {
                case "system", "developer" -> {
                    String text = text(m.content(), where);
                    // OpenAI clients send empty system prompts: they say nothing, so they are dropped.
                    yield text == null || text.isBlank() ? null : SystemMessage.from(text);
                }
                case "user" -> user(m.content(), where);
                case "assistant" -> assistant(m, where);
                case "tool" -> {
                    if (m.toolCallId() == null) {
                        throw OpenAiException.invalid(where + ".tool_call_id", where + ".tool_call_id is missing: a tool message answers a call");
                    }
                    yield ToolExecutionResultMessage.from(m.toolCallId(), m.name() == null ? "" : m.name(),
                            String.valueOf(text(m.content(), where)));
                }
                case "function" -> throw OpenAiException.invalid(where + ".role",
                        "the 'function' role is OpenAI's deprecated form of 'tool' and is not supported");
                default -> throw OpenAiException.invalid(where + ".role", "unknown role '" + m.role() + "' in " + where
                        + " (known: " + ROLES + ")");
            };
            if (message != null) {
                out.add(message);
                origins.add(i);
            }
        }
        if (out.isEmpty()) {
            throw OpenAiException.invalid("messages", "every message is empty: send at least one user message with text");
        }
        if (out.getLast() instanceof AiMessage) {
            throw OpenAiException.invalid("messages", "the last message must not be the assistant's: there is nothing to answer");
        }
        return out;
    }

    private static UserMessage user(MessageContent content, String where) {
        if (content == null) {
            throw OpenAiException.invalid(where + ".content", where + ".content is missing");
        }
        if (content.text() != null) {
            if (content.text().isBlank()) {
                throw OpenAiException.invalid(where + ".content", where + ".content is empty: a user message needs text");
            }
            return UserMessage.from(content.text());
        }
        List<Content> parts = new ArrayList<>();
        for (int j = 0; j < content.parts().size(); j++) {
            parts.add(part(content.parts().get(j), where + ".content[" + j + "]"));
        }
        if (parts.isEmpty()) {
            throw OpenAiException.invalid(where + ".content", where + ".content is empty: a user message needs text");
        }
        return UserMessage.from(parts);
    }

    /** One content part as LangChain4j content; the chat model decides which kinds it reads. */
    private static Content part(ChatCompletionRequest.ContentPart p, String where) {
        if (p == null || p.type() == null) {
            throw OpenAiException.invalid(where + ".type", where + ".type is missing (text, image_url, input_audio or file)");
        }
        try {
            return switch (p.type()) {
                case "text" -> TextContent.from(p.text() == null ? "" : p.text());
                case "image_url" -> ImageContent.from(p.imageUrl() == null ? null : p.imageUrl().url());
                case "input_audio" -> AudioContent.from(String.valueOf(p.inputAudio() == null ? null : p.inputAudio().get("data")),
                        "audio/" + (p.inputAudio() == null ? "wav" : p.inputAudio().getOrDefault("format", "wav")));
                case "file" -> PdfFileContent.from(String.valueOf(p.file() == null ? null : p.file().get("file_data")), "application/pdf");
                default -> throw OpenAiException.invalid(where + ".type", "unknown content part type '" + p.type() + "' in " + where
                        + " (known: text, image_url, input_audio, file)");
            };
        } catch (IllegalArgumentException | NullPointerException e) {
            throw OpenAiException.invalid(where, where + " is incomplete: " + e.getMessage());
        }
    }

    /** The text of a system, developer, assistant or tool message: a string or text parts. */
    private static String text(MessageContent content, String where) {
        if (content == null) {
            return null;
        }
        if (content.text() != null) {
            return content.text();
        }
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < content.parts().size(); j++) {
            ChatCompletionRequest.ContentPart p = content.parts().get(j);
            if (p == null || !"text".equals(p.type())) {
                throw OpenAiException.invalid(where + ".content[" + j + "]", "only text parts are allowed in this message");
            }
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(p.text() == null ? "" : p.text());
        }
        return sb.toString();
    }

    private static AiMessage assistant(ChatCompletionRequest.Message m, String where) {
        String text = text(m.content(), where);
        if (m.toolCalls() == null || m.toolCalls().isEmpty()) {
            return AiMessage.from(text == null ? "" : text);
        }
        List<ToolExecutionRequest> calls = new ArrayList<>();
        for (ChatCompletionRequest.ToolCall c : m.toolCalls()) {
            calls.add(ToolExecutionRequest.builder().id(c.id())
                    .name(c.function() == null ? null : c.function().name())
                    .arguments(c.function() == null ? null : c.function().arguments()).build());
        }
        return text == null ? AiMessage.from(calls) : AiMessage.from(text, calls);
    }

    private static List<ToolSpecification> tools(List<ChatCompletionRequest.Tool> tools) {
        List<ToolSpecification> out = new ArrayList<>();
        if (tools == null) {
            return out;
        }
        for (int i = 0; i < tools.size(); i++) {
            ChatCompletionRequest.Tool t = tools.get(i);
            String where = "tools[" + i + "]";
            if (t == null || t.function() == null || t.function().name() == null) {
                throw OpenAiException.invalid(where + ".function.name", where + ".function.name is missing");
            }
            ToolSpecification.Builder spec = ToolSpecification.builder().name(t.function().name()).description(t.function().description());
            if (t.function().parameters() != null) {
                spec.parameters(objectSchema(t.function().parameters(), where + ".function.parameters"));
            }
            out.add(spec.build());
        }
        return out;
    }

    private static dev.langchain4j.model.chat.request.ToolChoice toolChoice(ToolChoice c) {
        if (c == null || "auto".equals(c.mode())) {
            return dev.langchain4j.model.chat.request.ToolChoice.AUTO;
        }
        if ("none".equals(c.mode())) {
            return dev.langchain4j.model.chat.request.ToolChoice.NONE;
        }
        if ("required".equals(c.mode()) || c.named() != null) {
            return dev.langchain4j.model.chat.request.ToolChoice.REQUIRED;
        }
        throw OpenAiException.invalid("tool_choice", "tool_choice must be 'none', 'auto', 'required' or a named function, got '"
                + c.mode() + "'");
    }

    private static ResponseFormat responseFormat(ChatCompletionRequest.ResponseFormat f) {
        if (f == null || "text".equals(f.type())) {
            return null;
        }
        if ("json_object".equals(f.type())) {
            return ResponseFormat.JSON;
        }
        if ("json_schema".equals(f.type())) {
            if (f.jsonSchema() == null || f.jsonSchema().schema() == null) {
                throw OpenAiException.invalid("response_format.json_schema", "response_format.json_schema.schema is missing");
            }
            return ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder()
                    .name(f.jsonSchema().name())
                    .rootElement(schema(f.jsonSchema().schema(), "response_format.json_schema.schema")).build()).build();
        }
        throw OpenAiException.invalid("response_format.type", "response_format.type must be text, json_object or json_schema, got '"
                + f.type() + "'");
    }

    private static JsonObjectSchema objectSchema(Map<String, Object> schema, String where) {
        if (schema(schema, where) instanceof JsonObjectSchema o) {
            return o;
        }
        throw OpenAiException.invalid(where, where + " must be a JSON schema of type object");
    }

    private static JsonSchemaElement schema(Map<String, Object> schema, String where) {
        try {
            return JsonSchemaElementJsonUtils.fromMap(schema);
        } catch (RuntimeException e) {
            throw OpenAiException.invalid(where, where + " is not a JSON schema that can be read: " + e.getMessage());
        }
    }
}
