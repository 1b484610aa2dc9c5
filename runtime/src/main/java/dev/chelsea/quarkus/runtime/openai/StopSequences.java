package dev.chelsea.quarkus.runtime.openai;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Stop strings: one string, or an array of strings. */
@JsonDeserialize(using = StopSequences.Reader.class)
@Schema(name = "ChatCompletionStop", oneOf = {String.class, String[].class}, description = "A string or an array of strings")
public record StopSequences(List<String> values) {

    @JsonValue
    List<String> json() {
        return values;
    }

    static final class Reader extends JsonDeserializer<StopSequences> {
        @Override
        public StopSequences deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                return new StopSequences(List.of(p.getText()));
            }
            if (p.currentToken() == JsonToken.START_ARRAY) {
                List<String> out = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (p.currentToken() != JsonToken.VALUE_STRING) {
                        return ctx.reportInputMismatch(StopSequences.class, "must be a string or an array of strings");
                    }
                    out.add(p.getText());
                }
                return new StopSequences(out);
            }
            return ctx.reportInputMismatch(StopSequences.class, "must be a string or an array of strings");
        }
    }
}
