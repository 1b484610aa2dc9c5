package dev.chelsea.langchain4j;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.promptcache.PromptCache;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;

/**
 * Settings shared by {@link ChelseaChatModel} and {@link ChelseaStreamingChatModel}. Only the model
 * path is required; sampling defaults are those of {@code SamplingParams.chatDefaults}.
 */
public abstract class ChelseaModelBuilder<B extends ChelseaModelBuilder<B>> {
    public static final double DEFAULT_TEMPERATURE = 0.7;
    public static final double DEFAULT_TOP_P = 0.9;
    public static final int DEFAULT_TOP_K = 40;
    public static final double DEFAULT_MIN_P = 0.05;
    public static final double DEFAULT_REPETITION_PENALTY = 1.0;
    public static final int DEFAULT_MAX_TOKENS = 512;
    public static final String DEFAULT_BACKEND = "auto";

    private static final System.Logger LOG = System.getLogger("dev.chelsea.langchain4j");

    Path modelPath;
    Integer threads;
    int contextLength;
    String backend = DEFAULT_BACKEND;
    int device;
    QueueOptions queue = QueueOptions.defaults();
    String queueName = LoadedModel.SHARED_QUEUE;
    ChelseaModelRegistry registry = ChelseaModelRegistry.shared();
    String chatTemplate;
    String modelName;
    Double temperature = DEFAULT_TEMPERATURE;
    Double topP = DEFAULT_TOP_P;
    Integer topK = DEFAULT_TOP_K;
    Double minP = DEFAULT_MIN_P;
    Double repetitionPenalty;
    Long seed;
    Integer maxTokens = DEFAULT_MAX_TOKENS;
    List<String> stopSequences;
    ChatRequestParameters defaultRequestParameters;
    KvCacheConfig kvCache = KvCacheConfig.defaults();
    PromptCacheOptions promptCache = PromptCacheOptions.disabled();
    List<ChatModelListener> listeners = List.of();
    boolean logRequests;
    boolean logResponses;
    boolean warmUp;
    GenerationObserver observer = GenerationObserver.NONE;
    java.time.Duration timeout;

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** The GGUF file to run (required). */
    public B modelPath(Path modelPath) {
        this.modelPath = modelPath;
        return self();
    }

    /** Worker threads for the kernels; default: the engine's choice for this machine. */
    public B threads(Integer threads) {
        this.threads = threads;
        return self();
    }

    /** Tokens of context; 0 (the default) uses the model's trained length, capped at 4096. */
    public B contextLength(Integer contextLength) {
        this.contextLength = contextLength == null ? 0 : contextLength;
        return self();
    }

    /** {@code auto} (the default: a GPU when one is usable, else the CPU), {@code cpu} or {@code cuda}; checked at build. */
    public B backend(String backend) {
        this.backend = backend;
        return self();
    }

    /** Where the model runs: {@link BackendChoice#AUTO} (the default), CPU or CUDA. */
    public B backend(BackendChoice backend) {
        this.backend = backend == null ? DEFAULT_BACKEND : backend.id();
        return self();
    }

    /** GPU index for the CUDA backend (default 0); checked at build. */
    public B device(int device) {
        this.device = device;
        return self();
    }

    /** How many requests run at once on the shared model, and how many may wait. */
    public B queue(QueueOptions queue) {
        this.queue = queue;
        return self();
    }

    /**
     * Which of the loaded model's queues to use: chat models naming the same queue share its limits.
     * Default: one queue shared by every chat model of the file.
     */
    public B queueName(String queueName) {
        this.queueName = queueName == null || queueName.isBlank() ? LoadedModel.SHARED_QUEUE : queueName;
        return self();
    }

    /** Where loaded models are shared; default: {@link ChelseaModelRegistry#shared()}. */
    public B registry(ChelseaModelRegistry registry) {
        this.registry = registry;
        return self();
    }

    /**
     * The chat template family ({@code plain} or a family the engine knows); default: the one in the
     * model file, or {@code plain} when the file has none.
     */
    public B chatTemplate(String family) {
        this.chatTemplate = family;
        return self();
    }

    /** The name reported in responses and metrics; default: the model file's {@code general.name}. */
    public B modelName(String modelName) {
        this.modelName = modelName;
        return self();
    }

    public B temperature(Double temperature) {
        this.temperature = temperature;
        return self();
    }

    public B topP(Double topP) {
        this.topP = topP;
        return self();
    }

    public B topK(Integer topK) {
        this.topK = topK;
        return self();
    }

    public B minP(Double minP) {
        this.minP = minP;
        return self();
    }

    public B repetitionPenalty(Double repetitionPenalty) {
        this.repetitionPenalty = repetitionPenalty;
        return self();
    }

    /** A fixed seed makes sampled answers repeatable; default: a new random seed per request. */
    public B seed(Long seed) {
        this.seed = seed;
        return self();
    }

    /**
     * Most tokens in an answer: a ceiling. A request may ask for fewer ({@code maxOutputTokens}),
     * never for more; the room left in the context may leave fewer.
     */
    public B maxTokens(Integer maxTokens) {
        this.maxTokens = maxTokens;
        return self();
    }

    public B stopSequences(List<String> stopSequences) {
        this.stopSequences = stopSequences;
        return self();
    }

    /** Defaults for every request, applied over the individual settings above. */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        this.defaultRequestParameters = parameters;
        return self();
    }

    /** The KV cache policy and its budget; default: {@link KvCacheConfig#defaults()} (Chelsea, half the tokens kept). */
    public B kvCache(KvCacheConfig kvCache) {
        this.kvCache = kvCache;
        return self();
    }

    /**
     * Reuse the KV cache of conversation starts (everything before the last user message: a system
     * prompt with a document) across requests; default: {@link PromptCacheOptions#disabled()}.
     * Chat models of the same loaded model that name the same queue share one cache.
     */
    public B promptCache(PromptCacheOptions promptCache) {
        this.promptCache = promptCache == null ? PromptCacheOptions.disabled() : promptCache;
        return self();
    }

    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
        return self();
    }

    public B logRequests(Boolean logRequests) {
        this.logRequests = Boolean.TRUE.equals(logRequests);
        return self();
    }

    public B logResponses(Boolean logResponses) {
        this.logResponses = Boolean.TRUE.equals(logResponses);
        return self();
    }

    /** The most time {@link #warmUp} spends on a model. */
    public static final java.time.Duration WARM_UP_LIMIT = java.time.Duration.ofSeconds(60);

    /**
     * Whether {@code build()} runs the model's forward pass until the JIT has compiled it
     * ({@link dev.chelsea.engine.model.WarmUp}, once per loaded model, at most
     * {@link #WARM_UP_LIMIT}), so that the first requests do not pay for the compilation: on two
     * cores a cold first request waited about 5 s for its first token. Default: false.
     */
    public B warmUp(Boolean warmUp) {
        this.warmUp = Boolean.TRUE.equals(warmUp);
        return self();
    }

    /**
     * The most time a request may take, from when it is made (waiting in the queue included): past
     * it the generation stops and the text so far is the answer ({@code LENGTH}), or a
     * {@link ChelseaTimeoutException} when there is none yet. A request may ask for less
     * ({@link ChelseaChatRequestParameters#timeout()}). Default: none.
     */
    public B timeout(java.time.Duration timeout) {
        this.timeout = timeout;
        return self();
    }

    /** Told about every generation (for metrics). */
    public B observer(GenerationObserver observer) {
        this.observer = observer == null ? GenerationObserver.NONE : observer;
        return self();
    }

    /**
     * Every problem with the settings, each under its setting's name, found without loading
     * anything (the model path aside: whether the file loads is known only by loading it).
     */
    public List<SettingProblem> validateSettings() {
        List<SettingProblem> p = new java.util.ArrayList<>();
        p.addAll(ChelseaSettings.sampling(temperature, topK, topP, minP, repetitionPenalty));
        p.addAll(ChelseaSettings.generation("maxTokens", maxTokens, "stopSequences", stopSequences));
        p.addAll(ChelseaSettings.loading(threads, contextLength, backend, device));
        p.addAll(ChelseaSettings.chatTemplate(chatTemplate));
        if (kvCache == null) {
            p.add(new SettingProblem("kvCache", "must not be null"));
        }
        if (queue == null) {
            p.add(new SettingProblem("queue", "must not be null"));
        }
        if (promptCache.enabled()) {
            p.addAll(ChelseaSettings.promptCache(promptCache.maxBytes(), promptCache.minTokens()));
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            p.add(new SettingProblem("timeout", "must be positive, got " + timeout));
        }
        return p;
    }

    /**
     * Fails when this chat model's queue, running all it may at once, could outgrow the KV budget
     * of its memory (the Quarkus extension checks every configured model of a pool together too).
     */
    private void checkKvBudget(ModelLease lease, Model model) {
        KvMemory memory = lease.loaded().memory();
        int concurrent = lease.queue().options().maxConcurrent();
        String problem = memory.overcommit(List.of(claim(model.name(), concurrent, model, kvCache)));
        if (problem != null) {
            throw new KvBudgetException(problem.startsWith("one request") ? "contextLength" : "queue.maxConcurrent", problem);
        }
    }

    /** What a model's queue may hold of its KV budget at once; see {@link KvMemory#overcommit}. */
    public static KvMemory.Claim claim(String name, int concurrent, Model model, KvCacheConfig kv) {
        return new KvMemory.Claim(name, concurrent, KvDemand.steady(model, kv), KvDemand.longest(model, kv), model.contextLength(),
                kv.policy());
    }

    /** Settings whose requests cannot all fit the KV budget; {@link #setting()} names the one to change first. */
    public static final class KvBudgetException extends IllegalArgumentException {
        private final String setting;

        KvBudgetException(String setting, String message) {
            super(message);
            this.setting = setting;
        }

        /** {@code queue.maxConcurrent} or {@code contextLength}. */
        public String setting() {
            return setting;
        }
    }

    /** Loads (or reuses) the model and checks every setting; the lease is released if a check fails. */
    ChatRunner buildRunner() {
        if (modelPath == null) {
            throw new IllegalArgumentException("modelPath is required: the GGUF file to run");
        }
        List<SettingProblem> problems = validateSettings();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid settings: " + problems.stream().map(SettingProblem::toString)
                    .collect(java.util.stream.Collectors.joining("; ")));
        }
        ModelOptions options = new ModelOptions(threads != null ? threads : Parallel.defaultThreads(), contextLength,
                BackendChoice.parse(backend), device);
        ChelseaChatRequestParameters defaults = ChelseaChatRequestParameters.builder()
                .temperature(temperature).topP(topP).topK(topK).minP(minP).repetitionPenalty(repetitionPenalty).seed(seed)
                .maxOutputTokens(maxTokens).stopSequences(stopSequences).timeout(timeout)
                .build();
        ModelLease lease = registry.acquire(modelPath, options, queueName, queue);
        try {
            Model model = lease.loaded().model();
            ChatTemplate template = ChatTemplateSelector.select(lease.loaded(), chatTemplate);
            KvCacheCheck.check(kvCache, model);
            checkKvBudget(lease, model);
            if (warmUp) {
                lease.loaded().warmUp(WARM_UP_LIMIT);
            }
            String name = modelName != null && !modelName.isBlank() ? modelName : model.name();
            ChelseaChatRequestParameters merged = (ChelseaChatRequestParameters) ChelseaChatRequestParameters.builder()
                    .overrideWith(defaults)
                    .overrideWith(defaultRequestParameters != null ? defaultRequestParameters : defaults)
                    .modelName(name)
                    .build();
            PromptCache cache = promptCache.enabled() ? lease.loaded().promptCache(queueName, promptCache) : null;
            ChatRunner runner = new ChatRunner(lease, name, template, merged, kvCache, cache, logRequests, logResponses, observer);
            runner.checkDefaults();
            LOG.log(Level.DEBUG, () -> "Chat model '" + name + "' uses template " + template.family() + " and " + kvCache);
            return runner;
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }
}
