package dev.chelsea.langchain4j;

import dev.langchain4j.exception.UnsupportedFeatureException;

/**
 * A request asks for something Chelsea models cannot do (tools, JSON output, images...). Names the
 * request parameter at fault, so that a server can tell its client which field to drop.
 */
public class ChelseaUnsupportedFeatureException extends UnsupportedFeatureException {
    private final String parameter;

    /**
     * @param parameter the request parameter, in {@link RequestParameter} terms ({@code tools},
     *                  {@code messages[2].content}...)
     */
    public ChelseaUnsupportedFeatureException(String parameter, String message) {
        super(message);
        this.parameter = parameter;
    }

    public String parameter() {
        return parameter;
    }
}
