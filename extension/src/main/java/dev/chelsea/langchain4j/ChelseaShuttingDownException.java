package dev.chelsea.langchain4j;

import dev.langchain4j.exception.RetriableException;

/**
 * The application is shutting down: the model takes no new requests, and a request still running
 * when the grace period ended was stopped. Another instance (or this one after a restart) can answer.
 */
public class ChelseaShuttingDownException extends RetriableException {
    public ChelseaShuttingDownException(String message) {
        super(message);
    }
}
