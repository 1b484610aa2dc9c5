package dev.chelsea.quarkus.it;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * Receives a streaming answer and hands it on as {@link Piece}s. Errors that the model reports
 * before {@link #started()} (bad input, a full queue) are kept for the caller to throw, so that they
 * become a proper HTTP error instead of a broken stream. {@link #cancel()} stops the generation
 * before its next token, also when it is called before the first token has arrived.
 */
final class StreamBridge implements StreamingChatResponseHandler {
    /** What the stream carries: text, then the complete response or an error. */
    sealed interface Piece {
    }

    record Text(String text) implements Piece {
    }

    record Done(ChatResponse response) implements Piece {
    }

    record Failed(Throwable error) implements Piece {
    }

    private final Consumer<Piece> sink;
    private volatile boolean started;
    private volatile boolean cancelled;
    private volatile StreamingHandle handle;
    private volatile RuntimeException earlyError;

    StreamBridge(Consumer<Piece> sink) {
        this.sink = sink;
    }

    /** A bridge whose pieces are queued for a blocking reader. */
    static StreamBridge queued(BlockingQueue<Piece> queue) {
        return new StreamBridge(queue::add);
    }

    static BlockingQueue<Piece> newQueue() {
        return new LinkedBlockingQueue<>();
    }

    /** Marks the end of the synchronous part of {@code chat}; throws the error reported during it, if any. */
    void started() {
        started = true;
        if (earlyError != null) {
            throw earlyError;
        }
    }

    void cancel() {
        cancelled = true;
        StreamingHandle h = handle;
        if (h != null) {
            h.cancel();
        }
    }

    boolean cancelled() {
        return cancelled;
    }

    @Override
    public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
        handle = context.streamingHandle();
        if (cancelled) {
            handle.cancel();
            return;
        }
        sink.accept(new Text(partial.text()));
    }

    @Override
    public void onCompleteResponse(ChatResponse response) {
        if (!cancelled) {
            sink.accept(new Done(response));
        }
    }

    @Override
    public void onError(Throwable error) {
        if (!started && error instanceof RuntimeException re) {
            earlyError = re;
            return;
        }
        sink.accept(new Failed(error));
    }
}
