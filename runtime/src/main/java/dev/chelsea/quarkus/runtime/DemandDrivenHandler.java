package dev.chelsea.quarkus.runtime;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands a streaming answer to a Multi as the subscriber asks for it. The model calls back on its
 * generation thread; each piece waits there until the subscriber has demand, so the generation
 * runs at the client's pace and nothing piles up. The wait is woken by requests and by
 * cancellation (never polled).
 */
final class DemandDrivenHandler implements StreamingChatResponseHandler {
    /**
     * How long a piece may wait for demand before the generation is abandoned: a connection that
     * reads nothing for this long holds a generation slot for nobody.
     */
    static final long STALL_SECONDS = 60;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private MultiEmitter<? super ChatStreams.Event> emitter;
    private boolean cancelled;
    private volatile StreamingHandle handle;
    private boolean started;
    private RuntimeException earlyError;

    Multi<ChatStreams.Event> events() {
        return Multi.createFrom().emitter(em -> {
            em.onRequest(n -> signal());
            em.onCancellation(this::cancel);
            lock.lock();
            try {
                emitter = em;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }, BackPressureStrategy.BUFFER);
    }

    /** The synchronous part of {@code chat} is over: throws the error it reported, if any. */
    void started() {
        RuntimeException early;
        lock.lock();
        try {
            started = true;
            early = earlyError;
        } finally {
            lock.unlock();
        }
        if (early != null) {
            throw early;
        }
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void cancel() {
        lock.lock();
        try {
            cancelled = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        StreamingHandle h = handle;
        if (h != null) {
            h.cancel();
        }
    }

    /**
     * Waits for a subscriber (and, with {@code demand}, for it to ask for an item). Returns the
     * emitter, or null when the stream was cancelled or stalled (then the generation is to stop).
     */
    private MultiEmitter<? super ChatStreams.Event> await(boolean demand) {
        lock.lock();
        try {
            long left = TimeUnit.SECONDS.toNanos(STALL_SECONDS);
            while (!cancelled && (emitter == null || demand && emitter.requested() == 0)) {
                if (left <= 0) {
                    cancelled = true;
                    if (emitter != null) {
                        emitter.fail(new TimeoutException("the client read nothing for " + STALL_SECONDS + " s"));
                    }
                    return null;
                }
                left = changed.awaitNanos(left);
            }
            return cancelled ? null : emitter;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancelled = true;
            return null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
        handle = context.streamingHandle();
        MultiEmitter<? super ChatStreams.Event> em = await(true);
        if (em == null) {
            context.streamingHandle().cancel();
            return;
        }
        em.emit(new ChatStreams.Text(partial.text()));
    }

    @Override
    public void onCompleteResponse(ChatResponse response) {
        MultiEmitter<? super ChatStreams.Event> em = await(true);
        if (em != null) {
            em.emit(new ChatStreams.Done(response));
            em.complete();
        }
    }

    @Override
    public void onError(Throwable error) {
        lock.lock();
        try {
            if (!started && error instanceof RuntimeException re) {
                earlyError = re;
                return;
            }
        } finally {
            lock.unlock();
        }
        MultiEmitter<? super ChatStreams.Event> em = await(false);
        if (em != null) {
            em.fail(error);
        }
    }
}
