package dev.chelsea.samples.chat;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
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

    /** The story as it is written; cancelling the subscription stops the model. */
    public Multi<String> streamStory(String beginning) {
        return Multi.createFrom().emitter(emitter -> streamingModel.chat(request(beginning), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                if (emitter.isCancelled()) {
                    context.streamingHandle().cancel();
                } else {
                    emitter.emit(partial.text());
                }
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                emitter.complete();
            }

            @Override
            public void onError(Throwable error) {
                emitter.fail(error);
            }
        }));
    }

    private static ChatRequest request(String beginning) {
        // A base model like stories260K reads the conversation as plain text; an instruct model would follow the system prompt.
        return ChatRequest.builder()
                .messages(SystemMessage.from("Once upon a time"), UserMessage.from(beginning))
                .build();
    }
}
