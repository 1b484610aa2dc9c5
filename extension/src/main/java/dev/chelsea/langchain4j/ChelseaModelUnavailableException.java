package dev.chelsea.langchain4j;

import dev.langchain4j.exception.InternalServerException;

/**
 * The loaded model cannot serve: its file changed, was truncated or replaced since it was mapped
 * (reading it could crash the JVM, or read other weights than those loaded). The message names the
 * file and what changed; every request to that model fails so until it is loaded again.
 */
public class ChelseaModelUnavailableException extends InternalServerException {
    public ChelseaModelUnavailableException(String message) {
        super(message);
    }

    public ChelseaModelUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
