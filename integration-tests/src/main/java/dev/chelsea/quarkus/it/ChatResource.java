package dev.chelsea.quarkus.it;

import dev.chelsea.quarkus.runtime.ChatStreams;
import dev.chelsea.quarkus.runtime.ChelseaModels;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.Locale;

@Path("/chat")
@Tag(name = "Chat", description = "Conversations answered by an in-process model")
@Consumes(MediaType.APPLICATION_JSON)
public class ChatResource {
    @Inject
    ChelseaModels models;

    @POST
    @Blocking
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Answer a conversation", description = "Returns the whole answer and the tokens used.")
    @APIResponse(responseCode = "200", description = "The answer",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ChatAnswer.class)))
    @APIResponse(responseCode = "400", description = "Invalid request (empty messages, unknown role, bad settings, prompt too long)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", description = "Unknown model",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "The model is busy: retry later",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    public ChatAnswer chat(ChatRequestBody body) {
        ChatRequestBody b = require(body);
        ChelseaModels.Entry model = model(b.model());
        ChatResponse r = model.chatModel().chat(Conversations.toRequest(b));
        return new ChatAnswer(r.aiMessage().text(), ChelseaModels.publicName(model.name()), finish(r), Usage.of(r.tokenUsage()));
    }

    @POST
    @Path("/stream")
    @Blocking
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Answer a conversation as server-sent events",
            description = "Sends 'token' events (event: token, data: {\"type\":\"token\",\"text\":...}) as the answer is generated, "
                    + "then one 'done' event with the finish reason and usage, or an 'error' event. Closing the connection stops "
                    + "the generation.")
    @APIResponse(responseCode = "200", description = "The answer as it is written: token events, then done (or error)",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(implementation = ChatEvent.class)))
    @APIResponse(responseCode = "400", description = "Invalid request",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", description = "Unknown model",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "The model is busy: retry later",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.class)))
    public Multi<OutboundSseEvent> stream(ChatRequestBody body, @Context Sse sse) {
        ChatRequestBody b = require(body);
        Multi<ChatStreams.Event> events = ChatStreams.start(model(b.model()).streamingChatModel(), Conversations.toRequest(b));
        return events.map(e -> switch (e) {
                    case ChatStreams.Text t -> ChatEvent.token(t.text());
                    case ChatStreams.Done d -> ChatEvent.done(finish(d.response()), Usage.of(d.response().tokenUsage()));
                })
                .onFailure().recoverWithItem(e -> ChatEvent.error(String.valueOf(e.getMessage())))
                .map(e -> sse.newEventBuilder().name(e.type()).mediaType(MediaType.APPLICATION_JSON_TYPE).data(ChatEvent.class, e).build());
    }

    private ChelseaModels.Entry model(String requested) {
        return models.find(requested).orElseThrow(() -> new ApiException(404, "invalid_request_error", "model", "unknown model '"
                + requested + "' (available: " + String.join(", ", models.publicNames()) + ")"));
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
}
