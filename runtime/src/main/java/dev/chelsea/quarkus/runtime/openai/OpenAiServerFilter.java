package dev.chelsea.quarkus.runtime.openai;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;

/**
 * Guards the OpenAI server's paths before a body is read: the API key (401), the body's size
 * (413, before Quarkus' own limit answers with an empty body), the method (405) and the content
 * type (415), each with OpenAI's error JSON. Runs as an HTTP filter ahead of the REST layer, whose
 * own refusals of these would use the application's error format, not OpenAI's.
 */
public final class OpenAiServerFilter implements Handler<RoutingContext> {
    /**
     * Filter priority: after the security filters (authentication 200, authorization 100), before
     * the request-size check of Quarkus (order -2, that is priority 2).
     */
    public static final int PRIORITY = 50;

    private final String path;
    private final List<byte[]> keys;
    private final long maxRequestBytes;

    /**
     * @param path            the server's absolute path, such as {@code /v1}
     * @param keys            accepted API keys; empty: no key needed
     * @param maxRequestBytes the largest body accepted
     */
    public OpenAiServerFilter(String path, List<String> keys, long maxRequestBytes) {
        this.path = path;
        this.keys = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    public void handle(RoutingContext rc) {
        String p = rc.normalizedPath();
        HttpServerRequest request = rc.request();
        if (!(p.equals(path) || p.startsWith(path + "/")) || request.method() == HttpMethod.OPTIONS) {
            rc.next();
            return;
        }
        if (!keys.isEmpty() && !authorized(request.getHeader(HttpHeaderNames.AUTHORIZATION))) {
            rc.response().putHeader(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            end(rc, new OpenAiErrors.Failure(401, OpenAiError.of(request.getHeader(HttpHeaderNames.AUTHORIZATION) == null
                    ? "no API key: send one as 'Authorization: Bearer KEY'"
                    : "the API key is not valid", "authentication_error", null, "invalid_api_key")));
            return;
        }
        String endpoint = p.substring(path.length());
        if (endpoint.equals("/chat/completions")) {
            if (request.method() != HttpMethod.POST) {
                rc.response().putHeader(HttpHeaderNames.ALLOW, "POST");
                end(rc, notAllowed(request, "POST"));
                return;
            }
            String type = request.getHeader(HttpHeaderNames.CONTENT_TYPE);
            if (type == null || !type.toLowerCase(Locale.ROOT).split(";")[0].trim().equals("application/json")) {
                end(rc, new OpenAiErrors.Failure(415, OpenAiError.of("the body must be JSON: send 'Content-Type: application/json'"
                        + (type == null ? "" : ", not '" + type + "'"), "invalid_request_error", null, "unsupported_media_type")));
                return;
            }
            String length = request.getHeader(HttpHeaderNames.CONTENT_LENGTH);
            if (length != null && parse(length) > maxRequestBytes) {
                rc.response().putHeader(HttpHeaderNames.CONNECTION, "close");
                end(rc, tooLarge(maxRequestBytes));
                return;
            }
            // The body's "stream" field, not Accept, decides between JSON and server-sent events.
            request.headers().remove(HttpHeaderNames.ACCEPT);
        } else if (endpoint.equals("/models") || endpoint.startsWith("/models/")) {
            if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
                rc.response().putHeader(HttpHeaderNames.ALLOW, "GET");
                end(rc, notAllowed(request, "GET"));
                return;
            }
        }
        rc.next();
    }

    static OpenAiErrors.Failure tooLarge(long limit) {
        return new OpenAiErrors.Failure(413, OpenAiError.of("the request body is larger than " + limit
                + " bytes (quarkus.langchain4j.chelsea.openai-server.max-request-size)", "invalid_request_error", null,
                "request_too_large"));
    }

    private static OpenAiErrors.Failure notAllowed(HttpServerRequest request, String allowed) {
        return new OpenAiErrors.Failure(405, OpenAiError.of(request.method() + " is not allowed here: use " + allowed,
                "invalid_request_error", null, "method_not_allowed"));
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] key : keys) {
            // Constant time per key: the comparison does not tell how much of a key was right.
            ok |= MessageDigest.isEqual(key, given);
        }
        return ok;
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void end(RoutingContext rc, OpenAiErrors.Failure failure) {
        rc.response().setStatusCode(failure.status())
                .putHeader(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .end(OpenAiJson.write(failure.body()));
    }
}
