package dev.chelsea.quarkus.runtime;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.smallrye.mutiny.Multi;

/**
 * The one way this extension streams an answer to a client: a {@link Multi} of text pieces
 * followed by the complete response. Demand drives the generation: the model waits for the
 * subscriber to ask for the next piece (a slow client slows the model instead of filling memory),
 * and cancelling the subscription (a client that leaves) stops the model before its next token.
 */
public final class ChatStreams {
    private ChatStreams() {
    }

    /** What a stream carries: {@link Text} pieces, then one {@link Done}; a failure ends it as a Multi failure. */
    public sealed interface Event permits Text, Done {
    }

    /** A piece of the answer: whole characters, never part of a stop sequence. */
    public record Text(String text) implements Event {
    }

    /** The end of the answer, with the finish reason and token usage. */
    public record Done(ChatResponse response) implements Event {
    }

    /**
     * Starts generating {@code request} now. Errors the model reports before this returns (invalid
     * input, a full queue) are thrown here, so that they become an HTTP error rather than a broken
     * stream; later errors fail the returned Multi, which may be subscribed to once.
     */
    public static Multi<Event> start(StreamingChatModel model, ChatRequest request) {
        DemandDrivenHandler handler = new DemandDrivenHandler();
        model.chat(request, handler);
        handler.started();
        return handler.events();
    }
}
