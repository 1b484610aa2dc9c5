package dev.chelsea.quarkus.it;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.chelsea.langchain4j.ChelseaInvalidRequestException;
import dev.chelsea.langchain4j.ChelseaPromptTooLongException;
import dev.chelsea.langchain4j.ChelseaUnsupportedFeatureException;
import dev.chelsea.langchain4j.ChelseaQueueFullException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.ModelDisabledException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns refusals into JSON errors with the right status: the client's fault is 400, a busy model 503. */
public class ErrorMappers {

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return json(e.status(), ApiError.of(e.getMessage(), e.type(), e.param()));
    }

    @ServerExceptionMapper
    public Response promptTooLong(ChelseaPromptTooLongException e) {
        return json(400, ApiError.of(e.getMessage(), "invalid_request_error", "messages"));
    }

    @ServerExceptionMapper
    public Response invalidParameter(ChelseaInvalidRequestException e) {
        return json(400, ApiError.of(e.getMessage(), "invalid_request_error", Conversations.field(e.parameter())));
    }

    @ServerExceptionMapper
    public Response unsupportedParameter(ChelseaUnsupportedFeatureException e) {
        return json(400, ApiError.of(e.getMessage(), "invalid_request_error", Conversations.field(e.parameter())));
    }

    @ServerExceptionMapper
    public Response invalid(InvalidRequestException e) {
        return json(400, ApiError.of(e.getMessage(), "invalid_request_error", null));
    }

    @ServerExceptionMapper
    public Response unsupported(UnsupportedFeatureException e) {
        return json(400, ApiError.of(e.getMessage(), "invalid_request_error", null));
    }

    @ServerExceptionMapper
    public Response busy(ChelseaQueueFullException e) {
        return Response.status(503).header("Retry-After", "1").type(MediaType.APPLICATION_JSON)
                .entity(ApiError.of(e.getMessage(), "server_busy", null)).build();
    }

    @ServerExceptionMapper
    public Response disabled(ModelDisabledException e) {
        return json(503, ApiError.of(e.getMessage(), "model_disabled", "model"));
    }

    @ServerExceptionMapper
    public Response unparsable(com.fasterxml.jackson.core.JsonParseException e) {
        return unreadable(e);
    }

    @ServerExceptionMapper
    public Response mismatched(com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
        return unreadable(e);
    }

    /** Errors the framework raises without a body (wrong method, media type...) get the same JSON shape. */
    @ServerExceptionMapper
    public Response web(jakarta.ws.rs.WebApplicationException e) {
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof JsonProcessingException j) {
                return unreadable(j);
            }
        }
        Response r = e.getResponse();
        if (r.hasEntity()) {
            return r;
        }
        if (e instanceof jakarta.ws.rs.NotSupportedException) {
            return json(415, ApiError.of("the body must be JSON: send 'Content-Type: application/json'", "invalid_request_error", null));
        }
        String type = r.getStatus() < 500 ? "invalid_request_error" : "server_error";
        return json(r.getStatus(), ApiError.of(e.getMessage(), type, null));
    }

    @ServerExceptionMapper
    public Response unreadable(JsonProcessingException e) {
        boolean truncated = String.valueOf(e.getOriginalMessage()).contains("end-of-input");
        String field = !truncated && e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()
                ? m.getPath().getLast().getFieldName() : null;
        // Jackson's own message names Java types; the field and the JSON location are what a client can act on.
        return json(400, ApiError.of(field != null ? "the field '" + field + "' has the wrong type for this endpoint"
                : "the request body is not valid JSON for this endpoint (line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
                + ")", "invalid_request_error", field));
    }

    private static Response json(int status, ApiError error) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(error).build();
    }
}
