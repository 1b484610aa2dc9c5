package dev.chelsea.samples.docs;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.chelsea.langchain4j.ChelseaQueueFullException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.ModelDisabledException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error as {@code {"status": N, "message": "..."}}: what went wrong, in terms the client can act on. */
public class ErrorMappers {

    @ServerExceptionMapper
    public Response refused(Documents.Refused e) {
        return json(e.status(), e.getMessage());
    }

    /** A question that does not fit the context, or settings the model refuses. */
    @ServerExceptionMapper
    public Response invalid(InvalidRequestException e) {
        return json(400, e.getMessage());
    }

    @ServerExceptionMapper
    public Response busy(ChelseaQueueFullException e) {
        return Response.status(503).header("Retry-After", "2").type(MediaType.APPLICATION_JSON)
                .entity(new Api.Error(503, e.getMessage() + "; retry later")).build();
    }

    @ServerExceptionMapper
    public Response disabled(ModelDisabledException e) {
        return json(503, e.getMessage());
    }

    @ServerExceptionMapper
    public Response unreadable(JsonProcessingException e) {
        String field = e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()
                ? m.getPath().getLast().getFieldName() : null;
        return json(400, field != null ? "the field '" + field + "' must be a string"
                : "the body is not valid JSON (line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")");
    }

    /** What the framework refuses without a body (unknown path, wrong method or media type) gets the same shape. */
    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof JsonProcessingException j) {
                return unreadable(j);
            }
        }
        Response r = e.getResponse();
        if (r.hasEntity()) {
            return r;
        }
        if (e instanceof NotSupportedException) {
            return json(415, "unsupported Content-Type: send application/json (or multipart/form-data with a 'file' to POST /documents)");
        }
        if (e instanceof NotAllowedException) {
            return Response.fromResponse(json(405, "method not allowed here: allowed " + r.getAllowedMethods())).build();
        }
        return json(r.getStatus(), e.getMessage());
    }

    private static Response json(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new Api.Error(status, message)).build();
    }
}
