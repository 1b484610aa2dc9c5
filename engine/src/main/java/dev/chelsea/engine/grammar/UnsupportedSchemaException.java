package dev.chelsea.engine.grammar;

/**
 * A JSON Schema that is invalid, or uses a construct outside the supported subset; the message
 * names the construct and where it is ({@code $.properties.code}).
 */
public class UnsupportedSchemaException extends GrammarException {
    public UnsupportedSchemaException(String message) {
        super(message);
    }
}
