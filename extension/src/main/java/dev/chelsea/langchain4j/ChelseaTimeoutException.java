package dev.chelsea.langchain4j;

import dev.langchain4j.exception.TimeoutException;

/**
 * The request's time limit passed before the model wrote anything (a request that had written
 * some text ends with it instead, as {@code LENGTH}).
 */
public class ChelseaTimeoutException extends TimeoutException {
    public ChelseaTimeoutException(String message) {
        super(message);
    }
}
