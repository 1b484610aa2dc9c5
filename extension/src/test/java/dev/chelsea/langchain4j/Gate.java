package dev.chelsea.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A streaming handler that holds its generation on the generation thread: at its first piece it
 * says so ({@link #started}) and waits until {@link #release()}, so that a test knows a request
 * runs (and keeps its slot and its KV reservation) while it checks something else.
 */
final class Gate implements StreamingChatResponseHandler {
    final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    final List<String> pieces = new CopyOnWriteArrayList<>();
    final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    /** Run at the first piece, on the generation thread, before waiting. */
    private final Runnable atFirstPiece;

    Gate() {
        this(() -> {
        });
    }

    Gate(Runnable atFirstPiece) {
        this.atFirstPiece = atFirstPiece;
    }

    @Override
    public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
        pieces.add(partial.text());
        if (pieces.size() == 1) {
            atFirstPiece.run();
            started.countDown();
            try {
                released.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void awaitStarted() throws InterruptedException {
        for (int i = 0; i < 600 && !done.isDone() && !started.await(100, TimeUnit.MILLISECONDS); i++) {
            if (done.isCompletedExceptionally()) {
                throw new AssertionError("the gated request failed before it generated", done.exceptionNow());
            }
        }
        if (started.getCount() > 0) {
            throw new AssertionError("the gated request never started generating" + (done.isDone() ? ": it ended with " + done.join() : ""));
        }
    }

    void release() {
        released.countDown();
    }

    @Override
    public void onCompleteResponse(ChatResponse response) {
        done.complete(response);
    }

    @Override
    public void onError(Throwable error) {
        done.completeExceptionally(error);
    }

    ChatResponse response() throws Exception {
        return done.get(60, TimeUnit.SECONDS);
    }

    /** The error the stream ended with. */
    Throwable error() throws InterruptedException, TimeoutException {
        try {
            done.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the stream completed, an error was expected");
    }
}
