package dev.chelsea.quarkus.runtime;

import io.vertx.core.http.HttpServerResponse;
import jakarta.ws.rs.WebApplicationException;

import java.util.function.Supplier;

/**
 * Runs a blocking model call for an HTTP request and stops it when the client leaves. A Chelsea
 * chat model cancels its generation when the thread waiting for it is interrupted; this interrupts
 * the caller, and only while the call runs, when the connection closes under the response. (A
 * stream needs none of this: cancelling its subscription stops the model, see {@link ChatStreams}.)
 */
public final class ClientDisconnect {
    /** HTTP's "client closed request" (nginx's 499): nobody reads the answer. */
    public static final int CLIENT_CLOSED_REQUEST = 499;

    private ClientDisconnect() {
    }

    /**
     * {@code call} on this thread, interrupted if the connection of {@code response} closes before
     * it returns; then it fails with a {@link WebApplicationException} of status 499 (no answer can
     * reach the client anyway, and nothing is logged as an error).
     */
    public static <T> T cancelOnClose(HttpServerResponse response, Supplier<T> call) {
        Thread caller = Thread.currentThread();
        Object lock = new Object();
        boolean[] state = {true, false}; // running, interrupted by us
        response.closeHandler(v -> {
            synchronized (lock) {
                if (state[0]) {
                    state[1] = true;
                    caller.interrupt();
                }
            }
        });
        try {
            T result = call.get();
            synchronized (lock) {
                state[0] = false;
            }
            return result;
        } catch (RuntimeException e) {
            synchronized (lock) {
                state[0] = false;
            }
            if (state[1]) {
                throw new WebApplicationException("the client closed the connection: its generation was stopped", e, CLIENT_CLOSED_REQUEST);
            }
            throw e;
        } finally {
            synchronized (lock) {
                state[0] = false;
                if (state[1]) {
                    // the interrupt was meant for the call: the worker thread goes back clean
                    Thread.interrupted();
                }
            }
            response.closeHandler(null);
        }
    }
}
