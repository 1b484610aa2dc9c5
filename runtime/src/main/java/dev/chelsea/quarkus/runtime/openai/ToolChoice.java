package dev.chelsea.quarkus.runtime.openai;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.io.IOException;

/** Which tool the model may call: {@code none}, {@code auto}, {@code required}, or a named function. */
@JsonDeserialize(using = ToolChoice.Reader.class)
@Schema(name = "ChatCompletionToolChoice", oneOf = {String.class, ToolChoice.Named.class},
        description = "'none', 'auto', 'required', or {\"type\": \"function\", \"function\": {\"name\": ...}}")
public record ToolChoice(String mode, Named named) {

    @Schema(name = "ChatCompletionNamedToolChoice")
    public record Named(String type, Function function) {
    }

    @Schema(name = "ChatCompletionNamedFunction")
    public record Function(String name) {
    }

    @JsonValue
    Object json() {
        return mode != null ? mode : named;
    }

    static final class Reader extends JsonDeserializer<ToolChoice> {
        @Override
        public ToolChoice deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                return new ToolChoice(p.getText(), null);
            }
            if (p.currentToken() == JsonToken.START_OBJECT) {
                return new ToolChoice(null, ctx.readValue(p, Named.class));
            }
            return ctx.reportInputMismatch(ToolChoice.class, "must be 'none', 'auto', 'required' or an object naming a function");
        }
    }
}
