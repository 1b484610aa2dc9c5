package dev.chelsea.quarkus.it;

import dev.chelsea.langchain4j.ChelseaChatRequestParameters;
import dev.chelsea.langchain4j.RequestParameter;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a conversation from the wire into a LangChain4j request. Only the shape is checked here;
 * the chat model checks the values (and names the parameter: see {@link #field}).
 */
final class Conversations {
    static final String ROLES = "system, developer, user, assistant";

    private Conversations() {
    }

    static ChatRequest toRequest(ChatRequestBody b) {
        return ChatRequest.builder()
                .messages(convert(b.messages()))
                .parameters(ChelseaChatRequestParameters.builder()
                        .maxOutputTokens(b.maxTokens())
                        .temperature(b.temperature())
                        .topP(b.topP())
                        .topK(b.topK())
                        .seed(b.seed())
                        .stopSequences(b.stop())
                        .build())
                .build();
    }

    /** This API's name for a request parameter the chat model refused. */
    static String field(String parameter) {
        if (parameter == null) {
            return null;
        }
        return switch (parameter) {
            case RequestParameter.MAX_OUTPUT_TOKENS -> "maxTokens";
            case RequestParameter.STOP_SEQUENCES -> "stop";
            default -> parameter;
        };
    }

    static List<ChatMessage> convert(List<Message> messages) {
        if (messages == null || messages.isEmpty()) {
            throw ApiException.invalid("messages", "messages must not be empty: send at least one message");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            String where = "messages[" + i + "]";
            if (m == null) {
                throw ApiException.invalid(where, where + " is null");
            }
            if (m.role() == null || m.role().isBlank()) {
                throw ApiException.invalid(where + ".role", where + ".role is missing (one of " + ROLES + ")");
            }
            if (m.content() == null) {
                throw ApiException.invalid(where + ".content", where + ".content is missing");
            }
            String role = m.role().toLowerCase(Locale.ROOT);
            if (m.content().isBlank() && !role.equals("user")) {
                continue;
            }
            if (m.content().isBlank()) {
                throw ApiException.invalid(where + ".content", where + ".content is empty: a user message needs text");
            }
            out.add(switch (role) {
                case "system", "developer" -> SystemMessage.from(m.content());
                case "user" -> UserMessage.from(m.content());
                case "assistant" -> AiMessage.from(m.content());
                default -> throw ApiException.invalid(where + ".role", "unknown role '" + m.role() + "' in " + where
                        + " (known: " + ROLES + ")");
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
}
