package dev.chelsea.quarkus.it;

import dev.chelsea.langchain4j.ChelseaChatRequestParameters;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Checks a conversation from the wire and turns it into a LangChain4j request. */
final class Conversations {
    /** Requests larger than this are refused before tokenizing; the context length refuses the rest. */
    static final int MAX_MESSAGE_CHARS = 200_000;

    private Conversations() {
    }

    record Settings(Integer maxTokens, Double temperature, Double topP, Integer topK, Long seed, List<String> stop) {
    }

    static ChatRequest toRequest(List<Message> messages, Settings s) {
        return ChatRequest.builder()
                .messages(convert(messages))
                .parameters(parameters(s))
                .build();
    }

    static List<ChatMessage> convert(List<Message> messages) {
        if (messages == null || messages.isEmpty()) {
            throw ApiException.invalid("messages", "messages must not be empty: send at least one message");
        }
        List<ChatMessage> out = new ArrayList<>();
        long chars = 0;
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            String where = "messages[" + i + "]";
            if (m == null) {
                throw ApiException.invalid(where, where + " is null");
            }
            if (m.role() == null || m.role().isBlank()) {
                throw ApiException.invalid(where + ".role", where + ".role is missing (one of system, user, assistant)");
            }
            if (m.content() == null) {
                throw ApiException.invalid(where + ".content", where + ".content is missing");
            }
            chars += m.content().length();
            String role = m.role().toLowerCase(Locale.ROOT);
            if (m.content().isBlank() && !role.equals("user")) {
                // OpenAI clients send empty system prompts; they say nothing, so they are dropped.
                continue;
            }
            if (m.content().isBlank()) {
                throw ApiException.invalid(where + ".content", where + ".content is empty: a user message needs text");
            }
            if (chars > MAX_MESSAGE_CHARS) {
                throw ApiException.invalid("messages", "the conversation is longer than " + MAX_MESSAGE_CHARS + " characters");
            }
            out.add(switch (role) {
                case "system", "developer" -> SystemMessage.from(m.content());
                case "user" -> UserMessage.from(m.content());
                case "assistant" -> AiMessage.from(m.content());
                default -> throw ApiException.invalid(where + ".role", "unknown role '" + m.role() + "' in " + where
                        + " (known: system, user, assistant)");
            });
        }
        if (out.isEmpty()) {
            throw ApiException.invalid("messages", "every message is empty: send at least one user message with text");
        }
        if (out.getLast() instanceof AiMessage) {
            throw ApiException.invalid("messages", "the last message must not be the assistant's: there is nothing to answer");
        }
        return out;
    }

    static ChelseaChatRequestParameters parameters(Settings s) {
        if (s.maxTokens() != null && s.maxTokens() < 1) {
            throw ApiException.invalid("max_tokens", "max tokens must be at least 1, got " + s.maxTokens());
        }
        if (s.temperature() != null && !(s.temperature() >= 0 && s.temperature() <= 2)) {
            throw ApiException.invalid("temperature", "temperature must be between 0 and 2, got " + s.temperature());
        }
        if (s.topP() != null && !(s.topP() > 0 && s.topP() <= 1)) {
            throw ApiException.invalid("top_p", "top_p must be in (0, 1], got " + s.topP());
        }
        if (s.topK() != null && s.topK() < 0) {
            throw ApiException.invalid("top_k", "top_k must be >= 0, got " + s.topK());
        }
        if (s.stop() != null && s.stop().stream().anyMatch(x -> x == null || x.isEmpty())) {
            throw ApiException.invalid("stop", "stop sequences must not be empty");
        }
        return ChelseaChatRequestParameters.builder()
                .maxOutputTokens(s.maxTokens())
                .temperature(s.temperature())
                .topP(s.topP())
                .topK(s.topK())
                .seed(s.seed())
                .stopSequences(s.stop())
                .build();
    }
}
