package dev.chelsea.quarkus.runtime;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Keeps a client that leaves a stream from being logged as a server error. When a reader of a
 * streamed answer (server-sent events: the OpenAI API's {@code "stream": true}, a LangChain4j
 * stream behind a REST endpoint) closes its connection while events are still on their way, the
 * generation stops (the subscription is cancelled, see {@link ChatStreams}) and the request counts
 * as cancelled in the metrics; but Quarkus REST's handler for streams logs the failed write as an
 * ERROR with a stack trace of 30 lines: every "stop generating" in a chat client, every closed
 * browser tab. Measured on the sample service (2026-12-07): five clients that read five events
 * and closed the connection gave five such errors, whether they closed it with a FIN or a reset
 * ({@code Broken pipe}, {@code Connection reset by peer}, netty's {@code ClosedChannelException}).
 *
 * <p>This filter sits on that handler's logger only and drops records whose exception says the
 * client is gone, logging one DEBUG line under this class instead; every other record of that
 * logger passes (to the filter that was there before, if any).
 */
final class ClientGoneLogFilter implements Filter {
    /** The logger of Quarkus REST's handler for streamed responses (server-sent events and other streams). */
    static final String STREAM_HANDLER = "org.jboss.resteasy.reactive.server.handlers.PublisherResponseHandler";
    private static final Logger LOG = Logger.getLogger(ClientGoneLogFilter.class);
    /** Held here: java.util.logging keeps loggers weakly, and the filter lives on the logger. */
    private static java.util.logging.Logger streamHandler;

    private final Filter previous;

    private ClientGoneLogFilter(Filter previous) {
        this.previous = previous;
    }

    /** Puts the filter on the stream handler's logger, once per JVM (a dev-mode restart finds it there). */
    static synchronized void install() {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(STREAM_HANDLER);
        if (!(logger.getFilter() instanceof ClientGoneLogFilter)) {
            logger.setFilter(new ClientGoneLogFilter(logger.getFilter()));
        }
        streamHandler = logger;
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (record.getLevel().intValue() >= Level.WARNING.intValue() && clientGone(record.getThrown())) {
            LOG.debugf("a client closed its connection while a stream was sent to it (%s)", record.getThrown());
            return false;
        }
        return previous == null || previous.isLoggable(record);
    }

    /** Whether {@code t} or one of its causes says the other end of the connection is gone. */
    static boolean clientGone(Throwable t) {
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (t instanceof ClosedChannelException || t.getClass().getName().equals("io.vertx.core.http.HttpClosedException")) {
                return true;
            }
            String message = t.getMessage();
            if (t instanceof IOException && message != null
                    && (message.contains("Broken pipe") || message.contains("Connection reset"))) {
                return true;
            }
        }
        return false;
    }
}
