package dev.chelsea.samples.chat;

import dev.chelsea.quarkus.runtime.ChatStreams;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** A service built on the injected models: everything about the model itself is in application.properties. */
@ApplicationScoped
public class StoryTeller {
    @Inject
    ChatModel model;

    @Inject
    StreamingChatModel streamingModel;

    public String continueStory(String beginning) {
        return model.chat(request(beginning)).aiMessage().text();
    }

    /** The story as it is written; a slow reader slows the model, cancelling the subscription stops it. */
    public Multi<StoryEvent> streamStory(String beginning) {
        return ChatStreams.start(streamingModel, request(beginning)).map(event -> switch (event) {
            case ChatStreams.Text t -> new StoryEvent(t.text(), null);
            case ChatStreams.Done d -> new StoryEvent(null, d.response().finishReason().name().toLowerCase(java.util.Locale.ROOT));
        });
    }

    private static ChatRequest request(String beginning) {
        // A base model like stories260K reads the conversation as plain text; an instruct model would follow the system prompt.
        return ChatRequest.builder()
                .messages(SystemMessage.from("Once upon a time"), UserMessage.from(beginning))
                .build();
    }
}
