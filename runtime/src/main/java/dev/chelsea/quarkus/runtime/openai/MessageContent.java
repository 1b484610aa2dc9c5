package dev.chelsea.quarkus.runtime.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.io.IOException;
import java.util.List;

/** A message's content: a string, or an array of content parts. */
@JsonDeserialize(using = MessageContent.Reader.class)
@Schema(name = "ChatCompletionMessageContent", oneOf = {String.class, ChatCompletionRequest.ContentPart[].class},
        description = "A string, or an array of content parts")
public record MessageContent(String text, List<ChatCompletionRequest.ContentPart> parts) {

    @JsonValue
    Object json() {
        return text != null ? text : parts;
    }

    static final class Reader extends JsonDeserializer<MessageContent> {
        @Override
        public MessageContent deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                return new MessageContent(p.getText(), null);
            }
            if (p.currentToken() == JsonToken.START_ARRAY) {
                List<ChatCompletionRequest.ContentPart> parts = ctx.readValue(p, ctx.getTypeFactory()
                        .constructCollectionType(List.class, ChatCompletionRequest.ContentPart.class));
                return new MessageContent(null, parts);
            }
            return ctx.reportInputMismatch(MessageContent.class, "must be a string or an array of content parts");
        }
    }
}
