package dev.chelsea.quarkus.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/** OpenAI's chat completions API, so that existing OpenAI clients can use the local models. */
@Path("/v1")
@Tag(name = "OpenAI compatible", description = "The chat completions API of OpenAI, served by the local models")
public class OpenAiResource {
    private static final Logger LOG = Logger.getLogger(OpenAiResource.class);

    @Inject
    ModelDirectory models;

    @Inject
    ObjectMapper json;

    @POST
    @Path("/chat/completions")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, MediaType.SERVER_SENT_EVENTS})
    @Operation(summary = "Create a chat completion",
            description = "With \"stream\": true the answer arrives as server-sent chat.completion.chunk events ending with "
                    + "'data: [DONE]'. Tools, images, n > 1 and JSON response formats are refused.")
    @APIResponse(responseCode = "200", description = "A chat.completion, or a stream of chat.completion.chunk events",
            content = @Content(mediaType = MediaType.APPLICATION_JSON))
    @APIResponse(responseCode = "400", description = "Invalid request",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", description = "Unknown model",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "The model is busy: retry later",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    public Response completions(OpenAiChatRequest body, @Context RoutingContext routing) {
        if (body == null) {
            throw ApiException.invalid(null, "the request body is missing");
        }
        refuseUnsupported(body);
        String model = models.resolve(body.model());
        String publicName = body.model() == null || body.model().isBlank() ? ModelDirectory.publicName(model) : body.model();
        ChatRequest request = Conversations.toRequest(messages(body), new Conversations.Settings(
                body.maxCompletionTokens() != null ? body.maxCompletionTokens() : body.maxTokens(),
                body.temperature(), body.topP(), null, body.seed(), stop(body.stop())));
        long created = System.currentTimeMillis() / 1000;
        if (!Boolean.TRUE.equals(body.stream())) {
            ChatResponse r = models.chatModel(model).chat(request);
            var completion = new OpenAiResponses.Completion(r.id(), "chat.completion", created, publicName,
                    List.of(new OpenAiResponses.Choice(0, new OpenAiResponses.AssistantMessage("assistant", r.aiMessage().text()),
                            ChatResource.finish(r))),
                    OpenAiResponses.OpenAiUsage.of(r.tokenUsage()));
            return Response.ok(completion, MediaType.APPLICATION_JSON_TYPE).build();
        }
        BlockingQueue<StreamBridge.Piece> pieces = StreamBridge.newQueue();
        StreamBridge bridge = StreamBridge.queued(pieces);
        models.streamingChatModel(model).chat(request, bridge);
        bridge.started();
        boolean usage = body.streamOptions() != null && Boolean.TRUE.equals(body.streamOptions().includeUsage());
        String id = "chatcmpl-" + java.util.UUID.randomUUID();
        HttpServerResponse response = routing.response();
        StreamingOutput out = os -> writeStream(os, response, pieces, bridge, id, created, publicName, usage);
        return Response.ok(out, MediaType.SERVER_SENT_EVENTS_TYPE).header("Cache-Control", "no-cache").build();
    }

    @GET
    @Path("/models")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "List the models")
    public OpenAiResponses.ModelList list() {
        return new OpenAiResponses.ModelList("list", models.names().stream()
                .map(n -> new OpenAiResponses.ModelInfo(n, "model", 0, "chelsea")).toList());
    }

    private void writeStream(OutputStream os, HttpServerResponse response, BlockingQueue<StreamBridge.Piece> pieces, StreamBridge bridge, String id,
                             long created, String model, boolean usage) throws IOException {
        try {
            boolean first = true;
            long idleSince = System.nanoTime();
            while (true) {
                StreamBridge.Piece piece = pieces.poll(100, TimeUnit.MILLISECONDS);
                // Writes to a connection the client closed are dropped without an error, so look at the connection.
                if (response.closed()) {
                    LOG.debug("Client left a streamed completion; cancelling");
                    bridge.cancel();
                    return;
                }
                if (piece == null) {
                    if (System.nanoTime() - idleSince > TimeUnit.SECONDS.toNanos(15)) {
                        // Keeps proxies from closing an idle connection while the request waits in the queue.
                        os.write(": waiting\n\n".getBytes(StandardCharsets.UTF_8));
                        os.flush();
                        idleSince = System.nanoTime();
                    }
                    continue;
                }
                idleSince = System.nanoTime();
                switch (piece) {
                    case StreamBridge.Text t -> {
                        event(os, chunk(id, created, model, new OpenAiResponses.Delta(first ? "assistant" : null, t.text()), null));
                        first = false;
                    }
                    case StreamBridge.Done d -> {
                        event(os, chunk(id, created, model, new OpenAiResponses.Delta(first ? "assistant" : null, first ? "" : null),
                                ChatResource.finish(d.response())));
                        if (usage) {
                            event(os, new OpenAiResponses.Chunk(id, "chat.completion.chunk", created, model, List.of(),
                                    OpenAiResponses.OpenAiUsage.of(d.response().tokenUsage())));
                        }
                        done(os);
                        return;
                    }
                    case StreamBridge.Failed f -> {
                        event(os, ApiError.of(String.valueOf(f.error().getMessage()), "server_error", null));
                        done(os);
                        return;
                    }
                }
            }
        } catch (IOException e) {
            // The client went away: stop generating for nobody.
            LOG.debugf("Client left a streamed completion (%s); cancelling", e.getMessage());
            bridge.cancel();
            throw e;
        } catch (InterruptedException e) {
            bridge.cancel();
            Thread.currentThread().interrupt();
        }
    }

    private static OpenAiResponses.Chunk chunk(String id, long created, String model, OpenAiResponses.Delta delta, String finish) {
        return new OpenAiResponses.Chunk(id, "chat.completion.chunk", created, model,
                List.of(new OpenAiResponses.ChunkChoice(0, delta, finish)), null);
    }

    private void event(OutputStream os, Object payload) throws IOException {
        os.write(("data: " + json.writeValueAsString(payload) + "\n\n").getBytes(StandardCharsets.UTF_8));
        os.flush();
    }

    private static void done(OutputStream os) throws IOException {
        os.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        os.flush();
    }

    private static void refuseUnsupported(OpenAiChatRequest b) {
        if (b.n() != null && b.n() != 1) {
            throw ApiException.invalid("n", "only one choice per request is supported (n = 1), got n = " + b.n());
        }
        if (b.tools() != null && !b.tools().isEmpty()) {
            throw ApiException.invalid("tools", "tools are not supported by the local models");
        }
        if (b.responseFormat() != null && !b.responseFormat().path("type").asText("text").equals("text")) {
            throw ApiException.invalid("response_format", "only the text response format is supported");
        }
        if (b.frequencyPenalty() != null && b.frequencyPenalty() != 0) {
            throw ApiException.invalid("frequency_penalty", "frequency_penalty is not supported");
        }
        if (b.presencePenalty() != null && b.presencePenalty() != 0) {
            throw ApiException.invalid("presence_penalty", "presence_penalty is not supported");
        }
    }

    private static List<Message> messages(OpenAiChatRequest b) {
        if (b.messages() == null) {
            return null;
        }
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < b.messages().size(); i++) {
            OpenAiChatRequest.OpenAiMessage m = b.messages().get(i);
            out.add(m == null ? null : new Message(m.role(), text(m.content(), i)));
        }
        return out;
    }

    /** Content is a string, or an array of parts of which only text parts are supported. */
    private static String text(JsonNode content, int i) {
        if (content == null || content.isNull()) {
            return null;
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                String type = part.path("type").asText();
                if (!type.equals("text")) {
                    throw ApiException.invalid("messages[" + i + "].content", "only text content is supported, got a '" + type + "' part");
                }
                if (!sb.isEmpty()) {
                    sb.append('\n');
                }
                sb.append(part.path("text").asText());
            }
            return sb.toString();
        }
        throw ApiException.invalid("messages[" + i + "].content", "content must be a string or an array of text parts");
    }

    private static List<String> stop(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return null;
        }
        if (stop.isTextual()) {
            return List.of(stop.asText());
        }
        if (stop.isArray()) {
            List<String> out = new ArrayList<>();
            stop.forEach(s -> out.add(s.asText()));
            return out;
        }
        throw ApiException.invalid("stop", "stop must be a string or an array of strings");
    }
}
