package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.CancellationToken;
import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.generate.StopReason;
import dev.chelsea.engine.generate.TokenListener;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the chat model and the streaming chat model have in common: turning a LangChain4j request
 * into an engine request (refusing what the engine cannot do), queueing it on the shared model,
 * and turning the result back into a {@link ChatResponse}.
 */
final class ChatRunner implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.chelsea.langchain4j");

    /** An engine request ready to queue. */
    record Prepared(String id, GenerationRequest request) {
    }

    private final ModelLease lease;
    private final String name;
    private final ChatTemplate template;
    private final ChelseaChatRequestParameters defaults;
    private final KvCacheConfig kvCache;
    private final boolean logRequests;
    private final boolean logResponses;
    private final GenerationObserver observer;

    ChatRunner(ModelLease lease, String name, ChatTemplate template, ChelseaChatRequestParameters defaults,
               KvCacheConfig kvCache, boolean logRequests, boolean logResponses, GenerationObserver observer) {
        this.lease = lease;
        this.name = name;
        this.template = template;
        this.defaults = defaults;
        this.kvCache = kvCache;
        this.logRequests = logRequests;
        this.logResponses = logResponses;
        this.observer = observer == null ? GenerationObserver.NONE : observer;
    }

    String name() {
        return name;
    }

    ChatTemplate template() {
        return template;
    }

    ChelseaChatRequestParameters defaults() {
        return defaults;
    }

    LoadedModel loaded() {
        return lease.loaded();
    }

    GenerationQueue queue() {
        return lease.queue();
    }

    /** Fails now, rather than on the first request, when the default request parameters are invalid. */
    void checkDefaults() {
        try {
            sampling(defaults);
            check(ChelseaSettings.generation(RequestParameter.MAX_OUTPUT_TOKENS, defaults.maxOutputTokens(),
                    RequestParameter.STOP_SEQUENCES, defaults.stopSequences()));
        } catch (InvalidRequestException e) {
            throw new IllegalArgumentException("invalid default request parameters: " + e.getMessage(), e);
        }
    }

    /** Checks and converts {@code chatRequest}; fails before anything is queued. */
    Prepared prepare(ChatRequest chatRequest) {
        ChatRequestParameters p = chatRequest.parameters();
        rejectUnsupported(p);
        List<dev.chelsea.engine.tokenizer.ChatMessage> messages = convert(chatRequest.messages());
        SamplingParams sampling = sampling(p);
        List<String> requestedStops = p.stopSequences() != null ? p.stopSequences() : defaults.stopSequences();
        check(ChelseaSettings.generation(RequestParameter.MAX_OUTPUT_TOKENS, p.maxOutputTokens(), RequestParameter.STOP_SEQUENCES,
                requestedStops));
        Model model = lease.loaded().model();
        int[] tokens = model.encodeChat(template, messages);
        if (tokens.length == 0) {
            throw new ChelseaInvalidRequestException(RequestParameter.MESSAGES, "the conversation has no text");
        }
        int ctx = model.contextLength();
        if (tokens.length >= ctx) {
            throw new ChelseaPromptTooLongException(tokens.length, ctx);
        }
        // The configured value is a ceiling: a request may ask for fewer tokens, never for more.
        Integer ceiling = defaults.maxOutputTokens();
        Integer requested = p.maxOutputTokens() == null ? ceiling
                : ceiling == null ? p.maxOutputTokens() : Math.min(p.maxOutputTokens(), ceiling);
        int room = ctx - tokens.length;
        int maxTokens = requested == null ? room : Math.min(requested, room);
        List<String> stops = new ArrayList<>(new LinkedHashSet<>(concat(requestedStops, template.endOfTurnMarkers())));
        String id = "chelsea-" + UUID.randomUUID();
        GenerationRequest request = new GenerationRequest(tokens, sampling, maxTokens, stops, kvCache);
        if (logRequests) {
            LOG.log(Level.INFO, () -> "Request " + id + " to '" + name + "': " + tokens.length + " prompt tokens, at most "
                    + maxTokens + " new, " + request.sampling() + ", stop " + stops + ", messages " + chatRequest.messages());
        }
        return new Prepared(id, request);
    }

    private static void check(List<SettingProblem> problems) {
        if (!problems.isEmpty()) {
            SettingProblem first = problems.getFirst();
            throw new ChelseaInvalidRequestException(first.setting(), first.message());
        }
    }

    /** Runs a prepared request on this thread. */
    ChatResponse run(Prepared prepared, TokenListener listener, CancellationToken cancel) {
        LoadedModel loaded = lease.loaded();
        String file = loaded.key().file().getFileName().toString();
        GenerationResult result;
        try {
            result = loaded.generator().generate(prepared.request(), listener, cancel);
        } catch (RuntimeException | Error e) {
            observer.onGeneration(new GenerationEvent(name, file, null, null, e));
            throw e;
        }
        observer.onGeneration(new GenerationEvent(name, file, result.stats(), result.stopReason(), null));
        var stats = result.stats();
        ChatResponse response = ChatResponse.builder()
                .aiMessage(AiMessage.from(result.text()))
                .metadata(ChelseaChatResponseMetadata.builder()
                        .id(prepared.id())
                        .modelName(name)
                        .tokenUsage(new TokenUsage(stats.promptTokens(), stats.generatedTokens()))
                        .finishReason(finishReason(result.stopReason()))
                        .stopReason(result.stopReason())
                        .stats(stats)
                        .build())
                .build();
        if (logResponses) {
            LOG.log(Level.INFO, () -> "Response " + prepared.id() + " from '" + name + "' (" + result.stopReason() + "; " + stats
                    + "): " + result.text());
        }
        return response;
    }

    /** Queues {@code chatRequest} and waits for its answer; interrupting the caller cancels the generation. */
    ChatResponse chat(ChatRequest chatRequest) {
        Prepared prepared = prepare(chatRequest);
        CancellationToken cancel = new CancellationToken();
        CompletableFuture<ChatResponse> answer = new CompletableFuture<>();
        lease.queue().submit(cancel, () -> {
            try {
                if (cancel.isCancelled()) {
                    throw new LangChain4jException("the request was cancelled before it started: model '" + name + "' is closing");
                }
                ChatResponse response = run(prepared, TokenListener.NONE, cancel);
                if (cancel.isCancelled()) {
                    throw new LangChain4jException("the request was cancelled: model '" + name + "' is closing");
                }
                answer.complete(response);
            } catch (Throwable t) {
                answer.completeExceptionally(t);
            }
        });
        try {
            return answer.get();
        } catch (InterruptedException e) {
            cancel.cancel();
            Thread.currentThread().interrupt();
            throw new LangChain4jException("interrupted while waiting for model '" + name + "'", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new LangChain4jException(cause);
        }
    }

    static FinishReason finishReason(StopReason reason) {
        return switch (reason) {
            case STOP_TOKEN, STOP_STRING -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    private SamplingParams sampling(ChatRequestParameters p) {
        ChelseaChatRequestParameters c = p instanceof ChelseaChatRequestParameters x ? x : defaults;
        double temperature = first(p.temperature(), defaults.temperature(), 0.0);
        int topK = p.topK() != null ? p.topK() : defaults.topK() != null ? defaults.topK() : 0;
        double topP = first(p.topP(), defaults.topP(), 1.0);
        double minP = first(c.minP(), defaults.minP(), 0.0);
        double penalty = first(c.repetitionPenalty(), defaults.repetitionPenalty(), 1.0);
        check(ChelseaSettings.sampling(temperature, topK, topP, minP, penalty));
        Long seed = c.seed() != null ? c.seed() : defaults.seed();
        return new SamplingParams((float) temperature, topK, (float) topP, (float) minP, (float) penalty,
                SamplingParams.GREEDY.repetitionWindow(), seed != null ? seed : ThreadLocalRandom.current().nextLong());
    }

    private static double first(Double a, Double b, double fallback) {
        return a != null ? a : b != null ? b : fallback;
    }

    /**
     * The one check of what Chelsea models cannot do. Servers translate their requests into
     * LangChain4j's and let this refuse them, naming the parameter.
     */
    private static void rejectUnsupported(ChatRequestParameters p) {
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new ChelseaUnsupportedFeatureException(RequestParameter.TOOL_SPECIFICATIONS,
                    "tools are not supported by Chelsea models (the request has " + p.toolSpecifications().size()
                            + " tool specifications)");
        }
        if (p.toolChoice() == ToolChoice.REQUIRED) {
            throw new ChelseaUnsupportedFeatureException(RequestParameter.TOOL_CHOICE,
                    "tool choice REQUIRED is not supported by Chelsea models: they cannot call tools");
        }
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            throw new ChelseaUnsupportedFeatureException(RequestParameter.RESPONSE_FORMAT,
                    "JSON response format is not supported by Chelsea models: only text");
        }
        if (p.frequencyPenalty() != null && p.frequencyPenalty() != 0) {
            throw new ChelseaUnsupportedFeatureException(RequestParameter.FREQUENCY_PENALTY,
                    "frequency penalty is not supported by Chelsea models; use the repetition penalty "
                            + "(ChelseaChatRequestParameters.repetitionPenalty) instead");
        }
        if (p.presencePenalty() != null && p.presencePenalty() != 0) {
            throw new ChelseaUnsupportedFeatureException(RequestParameter.PRESENCE_PENALTY,
                    "presence penalty is not supported by Chelsea models; use the repetition penalty "
                            + "(ChelseaChatRequestParameters.repetitionPenalty) instead");
        }
    }

    private static List<dev.chelsea.engine.tokenizer.ChatMessage> convert(List<ChatMessage> messages) {
        List<dev.chelsea.engine.tokenizer.ChatMessage> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            int index = i;
            out.add(switch (m) {
                case SystemMessage s -> dev.chelsea.engine.tokenizer.ChatMessage.system(s.text());
                case UserMessage u -> dev.chelsea.engine.tokenizer.ChatMessage.user(userText(u, index));
                case AiMessage a -> {
                    if (a.hasToolExecutionRequests()) {
                        throw new ChelseaUnsupportedFeatureException(RequestParameter.message(index, null),
                                "tool execution requests are not supported by Chelsea models");
                    }
                    yield dev.chelsea.engine.tokenizer.ChatMessage.assistant(a.text() == null ? "" : a.text());
                }
                case ToolExecutionResultMessage t -> throw new ChelseaUnsupportedFeatureException(RequestParameter.message(index, null),
                        "tool execution results are not supported by Chelsea models");
                default -> throw new ChelseaUnsupportedFeatureException(RequestParameter.message(index, null),
                        "messages of type " + m.type() + " are not supported by Chelsea models");
            });
        }
        if (out.stream().allMatch(m -> m.content().isBlank())) {
            throw new ChelseaInvalidRequestException(RequestParameter.MESSAGES, "the conversation has no text: every message is empty");
        }
        return out;
    }

    private static String userText(UserMessage u, int index) {
        StringBuilder sb = new StringBuilder();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t)) {
                throw new ChelseaUnsupportedFeatureException(RequestParameter.message(index, "content"),
                        "Chelsea models read text only; a user message has " + c.type()
                                + " content (images, audio, video and PDF files are not supported)");
            }
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(t.text());
        }
        return sb.toString();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>();
        if (a != null) {
            out.addAll(a);
        }
        out.addAll(b);
        return out;
    }

    @Override
    public void close() {
        lease.close();
    }
}
