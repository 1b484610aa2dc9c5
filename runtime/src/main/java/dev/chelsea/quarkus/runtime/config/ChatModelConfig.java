package dev.chelsea.quarkus.runtime.config;

import dev.chelsea.langchain4j.ChelseaModelBuilder;
import dev.chelsea.langchain4j.QueueOptions;
import io.quarkus.runtime.annotations.ConfigDocDefault;
import io.quarkus.runtime.annotations.ConfigGroup;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

@ConfigGroup
public interface ChatModelConfig {

    /** A local GGUF file to run. Set this or {@code model-name}. */
    Optional<Path> modelPath();

    /**
     * A Hugging Face repository of GGUF files (such as {@code bartowski/Llama-3.2-1B-Instruct-GGUF}),
     * downloaded once into {@code models-path}. Needs {@code quantization}.
     */
    Optional<String> modelName();

    /** Which file of {@code model-name} to download, by quantization (such as {@code Q4_K_M}). */
    Optional<String> quantization();

    /** Sampling temperature; 0 is greedy and deterministic. */
    @WithDefault("" + ChelseaModelBuilder.DEFAULT_TEMPERATURE)
    double temperature();

    /** Nucleus sampling: keep the most likely tokens whose probabilities reach this sum (1 = off). */
    @WithDefault("" + ChelseaModelBuilder.DEFAULT_TOP_P)
    double topP();

    /** Keep only this many most likely tokens (0 = off). */
    @WithDefault("" + ChelseaModelBuilder.DEFAULT_TOP_K)
    int topK();

    /** Drop tokens less likely than this fraction of the most likely one (0 = off). */
    @WithDefault("" + ChelseaModelBuilder.DEFAULT_MIN_P)
    double minP();

    /** Penalty for repeating recent tokens (1 = off). */
    @WithDefault("" + ChelseaModelBuilder.DEFAULT_REPETITION_PENALTY)
    double repetitionPenalty();

    /** A fixed seed makes sampled answers repeatable; default: a new random seed per request. */
    @ConfigDocDefault("random per request")
    OptionalLong seed();

    /**
     * Most tokens in an answer, and the ceiling for every request: a request may ask for fewer,
     * never for more (a larger {@code max_tokens} is lowered to this). The context may leave fewer.
     */
    @WithDefault("" + ChelseaModelBuilder.DEFAULT_MAX_TOKENS)
    int maxTokens();

    /** Strings that end an answer (they are not part of it). */
    Optional<List<String>> stop();

    /** Tokens of context; 0 uses the model's trained context length, capped at 4096. A longer context needs more heap. */
    @WithDefault("0")
    int contextLength();

    /** Worker threads for the kernels; default: the engine's choice for this machine. */
    @ConfigDocDefault("number of cores")
    OptionalInt threads();

    /**
     * Where the model runs: {@code auto} (a GPU when the CUDA backend finds a usable one, else the
     * CPU; the log says which and why), {@code cpu} or {@code cuda} (fails at startup without a GPU).
     */
    @WithDefault(ChelseaModelBuilder.DEFAULT_BACKEND)
    String backend();

    /** Index of the GPU for the CUDA backend (0 = the first, as {@code nvidia-smi} lists them). */
    @WithDefault("0")
    int device();

    /**
     * The chat template family. Default: the template in the model file; a base model without one
     * uses {@code plain} (message texts joined by newlines, no role markers), with a warning.
     */
    @ConfigDocDefault("from the model file, else plain")
    Optional<String> chatTemplate();

    /** Generations running at once on this model (they share its worker threads). */
    @WithDefault("" + QueueOptions.DEFAULT_MAX_CONCURRENT)
    int maxConcurrentRequests();

    /** Requests that may wait for a free slot; more are refused at once. */
    @WithDefault("" + QueueOptions.DEFAULT_MAX_QUEUED)
    int maxQueuedRequests();

    /**
     * The most time a request may take, from when it arrives (waiting included): past it the
     * generation stops and the answer is the text so far ({@code finish_reason} {@code length}), or
     * an error if there is none yet. OpenAI clients may ask for less with their timeout header.
     * Default: no limit (the token limit bounds a generation).
     */
    @ConfigDocDefault("none")
    Optional<Duration> timeout();

    /**
     * Run the model's forward pass at start-up until the JIT has compiled it (prefills and decode
     * steps on a throwaway sequence, until their times stop improving, at most a minute), so that
     * the first requests do not pay for the compilation: on two cores a cold first request waited
     * about 5 s for its first token. Start-up takes that much longer instead. The log line it ends
     * with gives the bytes a decode step then allocates (tens of kilobytes when the kernels are
     * compiled); a warning says when a step still allocates megabytes, which means C2 left some
     * vector kernel in the Vector API's slow Java fallback: restart the JVM (see
     * {@code docs/performance.md}).
     */
    @WithDefault("false")
    boolean warmUp();

    /** Log each request. */
    @WithDefault("false")
    boolean logRequests();

    /** Log each response with its statistics. */
    @WithDefault("false")
    boolean logResponses();
}
