package dev.chelsea.quarkus.runtime;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What counts as a client gone, and that only such records of the stream handler's logger are dropped. */
class ClientGoneLogFilterTest {

    @Test
    void theWaysAConnectionEndsUnderAWriteAreAClientGone() {
        assertTrue(ClientGoneLogFilter.clientGone(new IOException("Broken pipe")));
        assertTrue(ClientGoneLogFilter.clientGone(new IOException("Connection reset by peer")));
        assertTrue(ClientGoneLogFilter.clientGone(new ClosedChannelException()));
        assertTrue(ClientGoneLogFilter.clientGone(new RuntimeException("write failed", new UncheckedIOException(new IOException("Broken pipe")))));
    }

    @Test
    void otherFailuresAreNot() {
        assertFalse(ClientGoneLogFilter.clientGone(null));
        assertFalse(ClientGoneLogFilter.clientGone(new IOException("No space left on device")));
        assertFalse(ClientGoneLogFilter.clientGone(new IllegalStateException("Broken pipe")));
        assertFalse(ClientGoneLogFilter.clientGone(new RuntimeException("serialization failed", new IllegalArgumentException())));
    }

    @Test
    void onTheStreamHandlersLoggerOnlyClientGoneErrorsAreDropped() {
        ClientGoneLogFilter.install();
        ClientGoneLogFilter.install();
        Logger logger = Logger.getLogger(ClientGoneLogFilter.STREAM_HANDLER);
        assertTrue(logger.getFilter() instanceof ClientGoneLogFilter, "installed (a second install finds it there)");
        assertFalse(logger.getFilter().isLoggable(record(Level.SEVERE, new IOException("Broken pipe"))));
        assertTrue(logger.getFilter().isLoggable(record(Level.SEVERE, new IOException("No space left on device"))));
        assertTrue(logger.getFilter().isLoggable(record(Level.SEVERE, null)));
        assertTrue(logger.getFilter().isLoggable(record(Level.FINE, new IOException("Broken pipe"))), "below WARNING it is not ours to drop");
    }

    private static LogRecord record(Level level, Throwable thrown) {
        LogRecord r = new LogRecord(level, "Exception in SSE server handling, impossible to send it to client");
        r.setThrown(thrown);
        return r;
    }
}
