package dev.chelsea.quarkus.it;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.chelsea.langchain4j.ChelseaPromptTooLongException;
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
    public Response unreadable(JsonProcessingException e) {
        return json(400, ApiError.of("the request body is not valid JSON for this endpoint: " + e.getOriginalMessage(),
                "invalid_request_error", null));
    }

    private static Response json(int status, ApiError error) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(error).build();
    }
}
