package dev.chelsea.quarkus.it;

import dev.chelsea.quarkus.runtime.ChelseaModels;
import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;

/**
 * Finds a configured model by the name a client sends. The default model answers to no name, to
 * {@code default}, and to the names OpenAI clients send by habit; named models answer to their name.
 */
@ApplicationScoped
public class ModelDirectory {
    public static final String DEFAULT = "default";

    @Inject
    ChelseaModels models;

    /** The configured name for a client's model name. */
    String resolve(String requested) {
        if (requested == null || requested.isBlank() || requested.equals(DEFAULT) || requested.equals(ChelseaConfig.DEFAULT_NAME)) {
            return ChelseaConfig.DEFAULT_NAME;
        }
        if (models.entry(requested).isPresent()) {
            return requested;
        }
        throw new ApiException(404, "invalid_request_error", "model", "unknown model '" + requested + "' (available: "
                + String.join(", ", names()) + ")");
    }

    ChatModel chatModel(String requested) {
        return models.chatModel(resolve(requested));
    }

    StreamingChatModel streamingChatModel(String requested) {
        return models.streamingChatModel(resolve(requested));
    }

    /** The public name of a configured model. */
    static String publicName(String configured) {
        return ChelseaConfig.DEFAULT_NAME.equals(configured) ? DEFAULT : configured;
    }

    List<String> names() {
        return models.names().stream().map(ModelDirectory::publicName).toList();
    }
}
