package dev.chelsea.quarkus.runtime.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** A configured model, as OpenAI's {@code model} object. */
@Schema(name = "Model")
public record ModelObject(@Schema(description = "The name to send as 'model'") String id,
                          @Schema(enumeration = "model") String object,
                          @Schema(description = "Unix seconds: when the model file was last modified") long created,
                          @JsonProperty("owned_by") String ownedBy) {

    /** OpenAI's model list. */
    @Schema(name = "ModelList")
    public record Page(@Schema(enumeration = "list") String object, List<ModelObject> data) {
    }
}
