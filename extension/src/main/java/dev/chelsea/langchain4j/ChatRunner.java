package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.CancellationToken;
import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.generate.StopReason;
import dev.chelsea.engine.generate.TokenListener;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.promptcache.PromptCache;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.chelsea.engine.tokenizer.ToolCall;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
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

    /** An engine request ready to queue, and the reader of its answer. */
    record Prepared(String id, GenerationRequest request, AnswerReader reader) {
    }

    private final ModelLease lease;
    private final String name;
    private final ChatTemplate template;
    private final ChelseaChatRequestParameters defaults;
    private final KvCacheConfig kvCache;
    private final PromptCache promptCache;
    private final Generator generator;
    private final boolean logRequests;
    private final boolean logResponses;
    private final GenerationObserver observer;

    ChatRunner(ModelLease lease, String name, ChatTemplate template, ChelseaChatRequestParameters defaults,
               KvCacheConfig kvCache, PromptCache promptCache, boolean logRequests, boolean logResponses, GenerationObserver observer) {
        this.lease = lease;
        this.name = name;
        this.template = template;
        this.defaults = defaults;
        this.kvCache = kvCache;
        this.promptCache = promptCache;
        this.generator = promptCache == null ? lease.loaded().generator() : new Generator(lease.loaded().model(), promptCache);
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

    /** The prompt cache of this chat model, or null. */
    PromptCache promptCache() {
        return promptCache;
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
        OutputShape shape = OutputShape.of(p, template, lease.loaded());
        if (shape.instruction() != null) {
            instruct(messages, shape.instruction());
        }
        Model model = lease.loaded().model();
        int[] tokens = encode(model, messages, shape);
        if (tokens.length == 0) {
            throw new ChelseaInvalidRequestException(RequestParameter.MESSAGES, "the conversation has no text");
        }
        int ctx = KvDemand.context(model, kvCache);
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
        GenerationRequest request = new GenerationRequest(tokens, sampling, maxTokens, stops, kvCache)
                .withCachePrefix(promptCache == null ? 0 : sharedStart(model, messages, tokens))
                .withConstraint(shape.constraint());
        if (logRequests) {
            LOG.log(Level.INFO, () -> "Request " + id + " to '" + name + "': " + tokens.length + " prompt tokens, at most "
                    + maxTokens + " new, " + request.sampling() + ", stop " + stops + describe(shape) + ", messages " + chatRequest.messages());
        }
        return new Prepared(id, request, new AnswerReader(shape));
    }

    private static String describe(OutputShape shape) {
        String tools = shape.promptTools().isEmpty() ? "" : ", tools " + shape.promptTools().stream()
                .map(dev.chelsea.engine.tokenizer.ToolDefinition::name).toList() + " in the " + shape.callFormat() + " format";
        return tools + (shape.constraint() == null ? "" : ", output held to a grammar");
    }

    /** The conversation as prompt tokens; tools and tool messages in the template's tool format. */
    private int[] encode(Model model, List<dev.chelsea.engine.tokenizer.ChatMessage> messages, OutputShape shape) {
        boolean toolMessages = messages.stream().anyMatch(m -> m.hasToolCalls() || m.role() == dev.chelsea.engine.tokenizer.ChatMessage.Role.TOOL);
        if (shape.promptTools().isEmpty() && !toolMessages) {
            return model.encodeChat(template, messages);
        }
        try {
            return model.encodeChat(template, messages, shape.promptTools());
        } catch (IllegalArgumentException e) {
            // the family's template refuses the conversation (Llama: one call per turn; Mistral: 9-character ids)
            throw new ChelseaInvalidRequestException(RequestParameter.MESSAGES, "the '" + template.family()
                    + "' chat template cannot render this conversation: " + e.getMessage(), e);
        }
    }

    /** Says what the JSON answer must be in the system message (models answer better when told, not only held). */
    private static void instruct(List<dev.chelsea.engine.tokenizer.ChatMessage> messages, String instruction) {
        if (!messages.isEmpty() && messages.getFirst().role() == dev.chelsea.engine.tokenizer.ChatMessage.Role.SYSTEM) {
            String system = messages.getFirst().content();
            messages.set(0, dev.chelsea.engine.tokenizer.ChatMessage.system(system.isBlank() ? instruction : system + "\n\n" + instruction));
        } else {
            messages.addFirst(dev.chelsea.engine.tokenizer.ChatMessage.system(instruction));
        }
    }

    /**
     * Tokens of {@code tokens} that later requests may share: the conversation up to its last user
     * message (a system prompt with a document, and earlier turns), as far as its own encoding
     * agrees with the whole conversation's (a tokenizer may join text across the boundary).
     */
    private int sharedStart(Model model, List<dev.chelsea.engine.tokenizer.ChatMessage> messages, int[] tokens) {
        int last = messages.size() - 1;
        while (last >= 0 && messages.get(last).role() != dev.chelsea.engine.tokenizer.ChatMessage.Role.USER) {
            last--;
        }
        if (last <= 0) {
            return 0;
        }
        int[] start;
        try {
            start = model.encodeChatPrefix(template, messages.subList(0, last));
        } catch (RuntimeException e) {
            // A template that cannot render a conversation ending before a user turn: nothing is shared.
            return 0;
        }
        int n = Math.min(start.length, tokens.length);
        int same = java.util.Arrays.mismatch(start, 0, n, tokens, 0, n);
        return same < 0 ? n : same;
    }

    private static void check(List<SettingProblem> problems) {
        if (!problems.isEmpty()) {
            SettingProblem first = problems.getFirst();
            throw new ChelseaInvalidRequestException(first.setting(), first.message());
        }
    }

    /**
     * A token for a request made now: cancelled by its caller, and by the request's time limit, the
     * shorter of the chat model's {@code timeout} and the request's own.
     */
    CancellationToken token(ChatRequestParameters p) {
        java.time.Duration limit = defaults.timeout();
        if (p instanceof ChelseaChatRequestParameters c && c.timeout() != null && (limit == null || c.timeout().compareTo(limit) < 0)) {
            limit = c.timeout();
        }
        if (limit == null) {
            return new CancellationToken();
        }
        long nanos = limit.toNanos();
        if (nanos <= 0) {
            throw new ChelseaInvalidRequestException(RequestParameter.TIMEOUT, "the time limit must be positive, got " + limit);
        }
        return CancellationToken.withDeadline(System.nanoTime() + nanos);
    }

    /** Runs a prepared request on this thread; its session reports to {@code reservation} (if not null). */
    ChatResponse run(Prepared prepared, TokenListener listener, CancellationToken cancel, KvMemory.Reservation reservation) {
        LoadedModel loaded = lease.loaded();
        String file = loaded.key().file().getFileName().toString();
        GenerationResult result;
        try {
            result = loaded.generate(generator, prepared.request(), listener, cancel, reservation);
        } catch (RuntimeException | Error e) {
            observer.onGeneration(new GenerationEvent(name, file, null, null, e));
            throw e;
        }
        observer.onGeneration(new GenerationEvent(name, file, result.stats(), result.stopReason(), null));
        var stats = result.stats();
        AiMessage message = prepared.reader().message(result.text());
        ChatResponse response = ChatResponse.builder()
                .aiMessage(message)
                .metadata(ChelseaChatResponseMetadata.builder()
                        .id(prepared.id())
                        .modelName(name)
                        .tokenUsage(new TokenUsage(stats.promptTokens(), stats.generatedTokens()))
                        .finishReason(message.hasToolExecutionRequests() ? FinishReason.TOOL_EXECUTION : finishReason(result.stopReason()))
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

    /**
     * Queues {@code chatRequest} and waits for its answer; interrupting the caller cancels the
     * generation. Past the time limit the answer is the text so far, or a
     * {@link ChelseaTimeoutException} when there is none.
     */
    ChatResponse chat(ChatRequest chatRequest) {
        CancellationToken cancel = token(chatRequest.parameters());
        Prepared prepared = prepare(chatRequest);
        CompletableFuture<ChatResponse> answer = new CompletableFuture<>();
        lease.queue().submit(cancel, prepared.request(), reservation -> {
            try {
                if (cancel.cause() == StopReason.CANCELLED) {
                    throw stopped(false);
                }
                ChatResponse response = cancel.deadlinePassed() ? null : run(prepared, TokenListener.NONE, cancel, reservation);
                if (cancel.cause() == StopReason.CANCELLED) {
                    throw stopped(true);
                }
                if (response == null || response.metadata() instanceof ChelseaChatResponseMetadata m
                        && m.stopReason() == StopReason.DEADLINE && response.tokenUsage().outputTokenCount() == 0) {
                    throw timedOut(response == null);
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
            case MAX_TOKENS, CONTEXT_FULL, DEADLINE -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    /** Why a request's token was cancelled by someone other than its caller: a shutdown, or the model closing. */
    RuntimeException stopped(boolean started) {
        if (lease.queue().isDraining()) {
            return new ChelseaShuttingDownException("the request to model '" + name + "' was "
                    + (started ? "stopped" : "cancelled before it started") + ": the application is shutting down");
        }
        return new LangChain4jException("the request was cancelled" + (started ? "" : " before it started") + ": model '" + name
                + "' is closing");
    }

    /**
     * A request whose time limit passed before it wrote anything; one that passed it while waiting
     * for a slot never reached the model, so the observer hears of it here.
     */
    ChelseaTimeoutException timedOut(boolean waiting) {
        ChelseaTimeoutException e = new ChelseaTimeoutException("the request to model '" + name + "' reached its time limit "
                + (waiting ? "while it waited for a free slot" : "before the model wrote anything") + "; retry later or allow more time");
        if (waiting) {
            observer.onGeneration(new GenerationEvent(name, lease.loaded().key().file().getFileName().toString(), null, null, e));
        }
        return e;
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
     * LangChain4j's and let this refuse them, naming the parameter. Tools and JSON response
     * formats are supported; what their schemas may contain is checked by {@link OutputShape},
     * message contents by {@link #convert}.
     */
    private static void rejectUnsupported(ChatRequestParameters p) {
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
                case AiMessage a -> assistant(a, index);
                case ToolExecutionResultMessage t -> dev.chelsea.engine.tokenizer.ChatMessage.toolResult(t.id(), t.toolName(),
                        t.text() == null ? "" : t.text());
                default -> throw new ChelseaUnsupportedFeatureException(RequestParameter.message(index, null),
                        "messages of type " + m.type() + " are not supported by Chelsea models");
            });
        }
        if (out.stream().allMatch(m -> m.content().isBlank() && !m.hasToolCalls())) {
            throw new ChelseaInvalidRequestException(RequestParameter.MESSAGES, "the conversation has no text: every message is empty");
        }
        return out;
    }

    private static dev.chelsea.engine.tokenizer.ChatMessage assistant(AiMessage a, int index) {
        String text = a.text() == null ? "" : a.text();
        if (!a.hasToolExecutionRequests()) {
            return dev.chelsea.engine.tokenizer.ChatMessage.assistant(text);
        }
        List<ToolCall> calls = new ArrayList<>();
        for (ToolExecutionRequest r : a.toolExecutionRequests()) {
            if (r.name() == null || r.name().isBlank()) {
                throw new ChelseaInvalidRequestException(RequestParameter.message(index, null),
                        "a tool execution request of message " + index + " has no tool name");
            }
            calls.add(new ToolCall(r.id(), r.name(), r.arguments()));
        }
        return dev.chelsea.engine.tokenizer.ChatMessage.assistant(text, calls);
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
