package dev.chelsea.langchain4j;

import dev.langchain4j.exception.InvalidRequestException;

/** A request setting is out of range or malformed; names the request parameter at fault. */
public class ChelseaInvalidRequestException extends InvalidRequestException {
    private final String parameter;

    /** @param parameter the request parameter, in {@link RequestParameter} terms ({@code temperature}, {@code messages}...) */
    public ChelseaInvalidRequestException(String parameter, String message) {
        super(message);
        this.parameter = parameter;
    }

    public ChelseaInvalidRequestException(String parameter, String message, Throwable cause) {
        super(message, cause);
        this.parameter = parameter;
    }

    public String parameter() {
        return parameter;
    }
}
