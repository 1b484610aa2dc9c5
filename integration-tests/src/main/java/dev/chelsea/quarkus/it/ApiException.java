package dev.chelsea.quarkus.it;

/** A request the service refuses, with the HTTP status, the offending parameter and an OpenAI-style error type. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String param;
    private final String type;

    public ApiException(int status, String type, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
    }

    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, message);
    }

    public int status() {
        return status;
    }

    public String param() {
        return param;
    }

    public String type() {
        return type;
    }
}
