package dev.chelsea.langchain4j;

import dev.langchain4j.exception.RateLimitException;

/** The model is busy: every slot is running and the waiting queue is full. Retrying later can succeed. */
public class ChelseaQueueFullException extends RateLimitException {
    public ChelseaQueueFullException(String message) {
        super(message);
    }
}
