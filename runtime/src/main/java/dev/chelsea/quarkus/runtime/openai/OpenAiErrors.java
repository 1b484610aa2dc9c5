package dev.chelsea.quarkus.runtime.openai;

import dev.chelsea.langchain4j.ChelseaInvalidRequestException;
import dev.chelsea.langchain4j.ChelseaPromptTooLongException;
import dev.chelsea.langchain4j.ChelseaQueueFullException;
import dev.chelsea.langchain4j.ChelseaUnsupportedFeatureException;
import dev.chelsea.langchain4j.RequestParameter;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.ModelDisabledException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

/**
 * Every refusal as an HTTP status and OpenAI's error body: the client's fault is 400 (naming the
 * field), an unknown model 404, a busy or disabled model 503, anything else 500.
 */
final class OpenAiErrors {
    private static final Logger LOG = Logger.getLogger(OpenAiErrors.class);

    /** A status and the body that goes with it. */
    record Failure(int status, OpenAiError body) {
        Response response() {
            Response.ResponseBuilder r = Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(OpenAiJson.write(body));
            if (status == 503) {
                r.header("Retry-After", "1");
            }
            return r.build();
        }
    }

    private OpenAiErrors() {
    }

    /** @param request the converted request, to name fields in OpenAI's terms; null before conversion */
    static Failure of(Throwable e, OpenAiRequests.Converted request) {
        return switch (e) {
            case OpenAiException o -> new Failure(o.status(), o.error());
            case ChelseaPromptTooLongException p -> invalid(p.getMessage(), "messages", "context_length_exceeded");
            case ChelseaInvalidRequestException i -> invalid(i.getMessage(), param(request, i.parameter()), null);
            case ChelseaUnsupportedFeatureException u -> invalid(u.getMessage(), param(request, u.parameter()), "unsupported_parameter");
            case InvalidRequestException i -> invalid(i.getMessage(), null, null);
            case UnsupportedFeatureException u -> invalid(u.getMessage(), null, "unsupported_parameter");
            case ChelseaQueueFullException q -> new Failure(503, OpenAiError.of(q.getMessage(), "server_busy", null, "server_busy"));
            case ModelDisabledException d -> new Failure(503, OpenAiError.of(d.getMessage(), "model_disabled", "model", "model_disabled"));
            default -> {
                LOG.error("A chat completion failed", e);
                yield new Failure(500, OpenAiError.of("the server failed to answer: " + e.getMessage(), "server_error", null, null));
            }
        };
    }

    private static String param(OpenAiRequests.Converted request, String parameter) {
        if (request != null) {
            return request.param(parameter);
        }
        return RequestParameter.MESSAGES.equals(parameter) ? "messages" : parameter;
    }

    private static Failure invalid(String message, String param, String code) {
        return new Failure(400, OpenAiError.of(message, "invalid_request_error", param, code));
    }
}
