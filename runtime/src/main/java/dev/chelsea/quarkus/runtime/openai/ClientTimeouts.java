package dev.chelsea.quarkus.runtime.openai;

import dev.chelsea.langchain4j.ChelseaChatRequestParameters;
import dev.langchain4j.model.chat.request.ChatRequest;

import java.time.Duration;

/**
 * The time limit an OpenAI client sends with a request. The official clients tell the server how
 * long they will wait: the Node.js client ({@code openai} on npm) sends {@code X-Stainless-Timeout}
 * in whole seconds, the Python client {@code X-Stainless-Read-Timeout} in seconds (its read
 * timeout). Both bound the wait for the first bytes of the answer, which for a non-streamed
 * completion is the whole answer; once a stream has started they no longer apply. So a
 * non-streamed request gets a time limit a little shorter than the client's (the answer must
 * arrive before the client gives up), and a stream none from these headers.
 */
final class ClientTimeouts {
    static final String NODE = "X-Stainless-Timeout";
    static final String PYTHON = "X-Stainless-Read-Timeout";
    /** Left for the answer to travel back: a tenth of the limit, at most two seconds. */
    private static final Duration MAX_MARGIN = Duration.ofSeconds(2);

    private ClientTimeouts() {
    }

    /** The shorter of the headers' limits less the margin; null when neither is there or usable. */
    static Duration of(String node, String python) {
        Duration a = seconds(node);
        Duration b = seconds(python);
        Duration t = a == null ? b : b == null ? a : a.compareTo(b) <= 0 ? a : b;
        if (t == null) {
            return null;
        }
        Duration margin = t.dividedBy(10);
        return t.minus(margin.compareTo(MAX_MARGIN) > 0 ? MAX_MARGIN : margin);
    }

    /** {@code request} with the time limit {@code timeout} (null: unchanged); the chat model keeps the shorter of it and its own. */
    static ChatRequest apply(ChatRequest request, Duration timeout) {
        if (timeout == null) {
            return request;
        }
        ChelseaChatRequestParameters p = ChelseaChatRequestParameters.builder().overrideWith(request.parameters()).timeout(timeout).build();
        return ChatRequest.builder().messages(request.messages()).parameters(p).build();
    }

    /** A positive number of seconds (a header is telemetry: a value that is not one is ignored, not refused). */
    private static Duration seconds(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            double s = Double.parseDouble(header.trim());
            if (!(s > 0) || Double.isInfinite(s)) {
                return null;
            }
            return Duration.ofNanos((long) Math.min(s * 1e9, Long.MAX_VALUE / 2.0));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
