package dev.chelsea.quarkus.it;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The error body of every endpoint, in OpenAI's shape so that OpenAI clients can read it. */
public record ApiError(Detail error) {
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Detail(String message, String type, String param, String code) {
    }

    static ApiError of(String message, String type, String param) {
        return new ApiError(new Detail(message, type, param, null));
    }
}
