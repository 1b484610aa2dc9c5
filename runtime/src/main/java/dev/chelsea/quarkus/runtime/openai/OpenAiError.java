package dev.chelsea.quarkus.runtime.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The body of every error, in OpenAI's shape so that OpenAI clients can read it. */
@Schema(name = "OpenAiError")
public record OpenAiError(Detail error) {

    @Schema(name = "OpenAiErrorDetail")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Detail(@Schema(description = "What is wrong and what to do") String message,
                         @Schema(enumeration = {"invalid_request_error", "authentication_error", "not_found_error", "server_busy",
                                 "model_disabled", "server_error"}) String type,
                         @Schema(description = "The request field at fault, such as 'max_tokens' or 'messages[1].content'") String param,
                         @Schema(description = "A machine-readable code, such as 'model_not_found' or 'invalid_api_key'") String code) {
    }

    static OpenAiError of(String message, String type, String param, String code) {
        return new OpenAiError(new Detail(message, type, param, code));
    }
}
