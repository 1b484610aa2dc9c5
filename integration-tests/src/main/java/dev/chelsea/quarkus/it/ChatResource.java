package dev.chelsea.quarkus.it;

import dev.langchain4j.model.chat.response.ChatResponse;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

import java.util.Locale;

@Path("/chat")
@Tag(name = "Chat", description = "Conversations answered by an in-process model")
@Consumes(MediaType.APPLICATION_JSON)
public class ChatResource {
    @Inject
    ModelDirectory models;

    @POST
    @Blocking
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Answer a conversation", description = "Returns the whole answer and the tokens used.")
    @APIResponse(responseCode = "200", description = "The answer")
    @APIResponse(responseCode = "400", description = "Invalid request (empty messages, unknown role, bad settings, prompt too long)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "The model is busy: retry later",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    public ChatAnswer chat(ChatRequestBody body) {
        ChatRequestBody b = require(body);
        String model = models.resolve(b.model());
        ChatResponse r = models.chatModel(model).chat(Conversations.toRequest(b.messages(), settings(b)));
        return new ChatAnswer(r.aiMessage().text(), ModelDirectory.publicName(model), finish(r), Usage.of(r.tokenUsage()));
    }

    @POST
    @Path("/stream")
    @Blocking
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "Answer a conversation as server-sent events",
            description = "Sends 'token' events as the answer is generated, then one 'done' event with the finish reason and "
                    + "usage (or an 'error' event). Closing the connection stops the generation.")
    @APIResponse(responseCode = "400", description = "Invalid request",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    public Multi<ChatEvent> stream(ChatRequestBody body) {
        ChatRequestBody b = require(body);
        String model = models.resolve(b.model());
        var request = Conversations.toRequest(b.messages(), settings(b));
        UnicastProcessor<ChatEvent> events = UnicastProcessor.create();
        StreamBridge bridge = new StreamBridge(piece -> {
            switch (piece) {
                case StreamBridge.Text t -> events.onNext(ChatEvent.token(t.text()));
                case StreamBridge.Done d -> {
                    events.onNext(ChatEvent.done(finish(d.response()), Usage.of(d.response().tokenUsage())));
                    events.onComplete();
                }
                case StreamBridge.Failed f -> {
                    events.onNext(ChatEvent.error(String.valueOf(f.error().getMessage())));
                    events.onComplete();
                }
            }
        });
        models.streamingChatModel(model).chat(request, bridge);
        bridge.started();
        // A client that goes away cancels the subscription; the model stops before its next token.
        return events.onCancellation().invoke(bridge::cancel);
    }

    static String finish(ChatResponse r) {
        return r.finishReason() == null ? null : r.finishReason().name().toLowerCase(Locale.ROOT);
    }

    private static ChatRequestBody require(ChatRequestBody body) {
        if (body == null) {
            throw ApiException.invalid(null, "the request body is missing: send {\"messages\": [...]}");
        }
        return body;
    }

    private static Conversations.Settings settings(ChatRequestBody b) {
        return new Conversations.Settings(b.maxTokens(), b.temperature(), b.topP(), b.topK(), b.seed(), b.stop());
    }
}
