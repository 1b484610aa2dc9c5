package dev.chelsea.quarkus.runtime.openai;

import dev.chelsea.quarkus.runtime.ChatStreams;
import dev.chelsea.quarkus.runtime.ChelseaModels;
import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestMulti;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * OpenAI's chat completions and models API over the configured models, so that OpenAI clients
 * (the official SDKs, LangChain4j's OpenAI models...) work against this application unchanged.
 * Registered only when {@code quarkus.langchain4j.chelsea.openai-server.enabled=true}, under
 * {@code openai-server.path}: the methods' paths start with {@code /v1}, which the extension
 * replaces at build time (a class-level path cannot be moved: REST reads it from the raw index).
 */
@Path("/")
@Tag(name = "OpenAI compatible", description = "OpenAI's chat completions API, answered by the local models")
public class OpenAiResource {
    public static final String DEFAULT_PATH = "/v1";
    static final String OWNER = "chelsea";
    private static final String SSE = MediaType.SERVER_SENT_EVENTS;
    private static final String DONE = "data: [DONE]\n\n";
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    /** When this application started: the {@code created} of models that are not loaded. */
    private static final long STARTED = System.currentTimeMillis() / 1000;

    @Inject
    ChelseaModels models;

    @Inject
    ChelseaConfig config;

    /**
     * The answer is JSON or, with {@code "stream": true}, server-sent events: the body decides, not
     * the Accept header, so the server filter sets no Accept for this path and the response says
     * its own type. Returning a Multi either way keeps one code path that is driven by demand.
     */
    @POST
    @Path(DEFAULT_PATH + "/chat/completions")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.TEXT_PLAIN)
    @Operation(summary = "Create a chat completion",
            description = "Answers the conversation with the named model. With \"stream\": true the answer arrives as server-sent "
                    + "chat.completion.chunk events (data: {...} lines) ending with data: [DONE]; closing the connection stops the "
                    + "model. max_tokens is capped by the model's configured max-tokens. Parameters a local model cannot honour "
                    + "(tools, JSON formats, logprobs, logit_bias, n > 1, images...) are refused with a 400 naming them.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ChatCompletionRequest.class)))
    @APIResponse(responseCode = "200", description = "The answer: a chat.completion, or with \"stream\": true a stream of chunks",
            content = {@Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ChatCompletion.class)),
                    @Content(mediaType = SSE, schema = @Schema(implementation = ChatCompletionChunk.class))})
    @APIResponse(responseCode = "400", description = "Invalid or unsupported request: error.param names the field",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "401", description = "API keys are configured and the request has none of them",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "404", description = "Unknown model",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "413", description = "The body is larger than openai-server.max-request-size",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "415", description = "The body is not application/json",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "503", description = "The model is busy (retry after Retry-After seconds) or disabled",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiError.class)))
    public RestMulti<String> completions(InputStream body) {
        ChatCompletionRequest b = OpenAiJson.read(readLimited(body), ChatCompletionRequest.class);
        OpenAiRequests.Converted request = null;
        try {
            request = OpenAiRequests.convert(b);
            ChelseaModels.Entry model = model(b.model());
            String name = b.model() == null || b.model().isBlank() ? ChelseaModels.publicName(model.name()) : b.model();
            String id = "chatcmpl-" + UUID.randomUUID();
            long created = System.currentTimeMillis() / 1000;
            if (!Boolean.TRUE.equals(b.stream())) {
                ChatResponse r = model.chatModel().chat(request.request());
                ChatCompletion completion = new ChatCompletion(id, "chat.completion", created, name,
                        List.of(new ChatCompletion.Choice(0, new ChatCompletion.AssistantMessage("assistant", r.aiMessage().text()),
                                finishReason(r))),
                        ChatCompletion.Usage.of(r.tokenUsage()));
                return RestMulti.fromMultiData(Multi.createFrom().item(OpenAiJson.write(completion)))
                        .header("Content-Type", MediaType.APPLICATION_JSON).build();
            }
            boolean usage = b.streamOptions() != null && Boolean.TRUE.equals(b.streamOptions().includeUsage());
            Multi<ChatStreams.Event> events = ChatStreams.start(model.streamingChatModel(), request.request());
            return RestMulti.fromMultiData(sse(events, id, created, name, usage))
                    .header("Content-Type", SSE).header("Cache-Control", "no-cache").build();
        } catch (Refusal r) {
            throw r;
        } catch (RuntimeException e) {
            throw new Refusal(OpenAiErrors.of(e, request));
        }
    }

    /**
     * The events as OpenAI's chunks, each a complete {@code data: ...} event; a failure ends with an
     * error event. While a request waits in the queue nothing else would be written, so a comment
     * every {@link #KEEP_ALIVE} keeps proxies from closing the idle connection.
     */
    private static Multi<String> sse(Multi<ChatStreams.Event> events, String id, long created, String model, boolean usage) {
        Multi<String> keepAlive = Multi.createFrom().ticks().startingAfter(KEEP_ALIVE).every(KEEP_ALIVE)
                .onOverflow().drop().map(tick -> ": waiting\n\n");
        return Multi.createBy().merging().streams(chunks(events, id, created, model, usage), keepAlive)
                .select().first(frame -> !frame.equals(DONE))
                .onCompletion().continueWith(DONE);
    }

    private static Multi<String> chunks(Multi<ChatStreams.Event> events, String id, long created, String model, boolean usage) {
        AtomicBoolean first = new AtomicBoolean(true);
        return events.onItem().transformToIterable(event -> {
            List<String> out = new ArrayList<>(3);
            switch (event) {
                case ChatStreams.Text t -> out.add(data(chunk(id, created, model,
                        new ChatCompletionChunk.Delta(first.getAndSet(false) ? "assistant" : null, t.text()), null)));
                case ChatStreams.Done d -> {
                    boolean none = first.getAndSet(false);
                    out.add(data(chunk(id, created, model, new ChatCompletionChunk.Delta(none ? "assistant" : null, none ? "" : null),
                            finishReason(d.response()))));
                    if (usage) {
                        out.add(data(OpenAiJson.write(new ChatCompletionChunk(id, "chat.completion.chunk", created, model, List.of(),
                                ChatCompletion.Usage.of(d.response().tokenUsage())))));
                    }
                    out.add(DONE);
                }
            }
            return out;
        }).onFailure().recoverWithMulti(e -> Multi.createFrom().items(
                data(OpenAiJson.write(OpenAiErrors.of(e, null).body())), DONE));
    }

    private static String chunk(String id, long created, String model, ChatCompletionChunk.Delta delta, String finish) {
        return OpenAiJson.write(new ChatCompletionChunk(id, "chat.completion.chunk", created, model,
                List.of(new ChatCompletionChunk.Choice(0, delta, finish)), null));
    }

    /** One event as OpenAI writes it: "data: " with a space, for clients that split on it. */
    private static String data(String json) {
        return "data: " + json + "\n\n";
    }

    @GET
    @Path(DEFAULT_PATH + "/models")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "List the models", description = "Every configured model, by the name to send as 'model'")
    @APIResponse(responseCode = "200", description = "The models",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ModelObject.Page.class)))
    @APIResponse(responseCode = "401", description = "API keys are configured and the request has none of them",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiError.class)))
    public Response list() {
        List<ModelObject> data = models.entries().stream().map(OpenAiResource::describe).toList();
        return Response.ok(OpenAiJson.write(new ModelObject.Page("list", data)), MediaType.APPLICATION_JSON_TYPE).build();
    }

    @GET
    @Path(DEFAULT_PATH + "/models/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Describe a model")
    @APIResponse(responseCode = "200", description = "The model",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ModelObject.class)))
    @APIResponse(responseCode = "401", description = "API keys are configured and the request has none of them",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiError.class)))
    @APIResponse(responseCode = "404", description = "Unknown model",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiError.class)))
    public Response retrieve(@PathParam("id") String id) {
        return Response.ok(OpenAiJson.write(describe(model(id))), MediaType.APPLICATION_JSON_TYPE).build();
    }

    private ChelseaModels.Entry model(String requested) {
        return models.find(requested).orElseThrow(() -> new Refusal(new OpenAiErrors.Failure(404, OpenAiError.of(
                "unknown model '" + requested + "' (available: " + String.join(", ", models.publicNames()) + ")",
                "invalid_request_error", "model", "model_not_found"))));
    }

    private static ModelObject describe(ChelseaModels.Entry e) {
        long created = STARTED;
        if (e.loaded() != null) {
            try {
                created = Files.getLastModifiedTime(e.loaded().key().file()).toMillis() / 1000;
            } catch (IOException ignored) {
                // the file was mapped at startup; without its time the start time stands in
            }
        }
        return new ModelObject(ChelseaModels.publicName(e.name()), "model", created, OWNER);
    }

    static String finishReason(ChatResponse r) {
        return r.finishReason() == null ? null : switch (r.finishReason()) {
            case LENGTH -> "length";
            case STOP -> "stop";
            default -> r.finishReason().name().toLowerCase(Locale.ROOT);
        };
    }

    private byte[] readLimited(InputStream body) {
        long limit = config.openaiServer().maxRequestSize().asLongValue();
        try {
            byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw new Refusal(OpenAiServerFilter.tooLarge(limit));
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Errors of this resource only: the application's own endpoints keep their own error format. */
    @ServerExceptionMapper
    public Response refused(Refusal r) {
        return r.response();
    }

    @ServerExceptionMapper
    public Response failed(RuntimeException e) {
        return OpenAiErrors.of(e, null).response();
    }

    /** A refusal on its way to the client (public: the generated exception mapper lives in another class loader). */
    public static final class Refusal extends RuntimeException {
        private final transient OpenAiErrors.Failure failure;

        Refusal(OpenAiErrors.Failure failure) {
            super(failure.body().error().message(), null, false, false);
            this.failure = failure;
        }

        public Response response() {
            return failure.response();
        }
    }
}
