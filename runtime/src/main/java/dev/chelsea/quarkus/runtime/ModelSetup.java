package dev.chelsea.quarkus.runtime;

import dev.chelsea.engine.gguf.GgufFormatException;
import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.langchain4j.ChelseaChatModel;
import dev.chelsea.langchain4j.ChelseaModelBuilder;
import dev.chelsea.langchain4j.ChelseaStreamingChatModel;
import dev.chelsea.langchain4j.GenerationObserver;
import dev.chelsea.langchain4j.QueueOptions;
import dev.chelsea.langchain4j.download.HuggingFaceDownloader;
import dev.chelsea.quarkus.runtime.config.ChatModelConfig;
import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import dev.chelsea.quarkus.runtime.config.KvCacheConfig;
import dev.chelsea.quarkus.runtime.config.ModelConfig;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns one model's configuration into chat models: checks every property (messages name the
 * property to fix), downloads the file if a repository is named, and configures the builders.
 */
final class ModelSetup {
    static final String ROOT = "quarkus.langchain4j.chelsea.";

    /** A problem found while building, tied to the property that causes it. */
    static final class SetupException extends RuntimeException {
        private final String property;

        SetupException(String property, String message, Throwable cause) {
            super(property + ": " + message, cause);
            this.property = property;
        }

        String property() {
            return property;
        }
    }

    private final String name;
    private final ModelConfig config;
    private final ChelseaConfig root;
    private final GenerationObserver observer;
    private Path resolvedFile;

    ModelSetup(String name, ModelConfig config, ChelseaConfig root, GenerationObserver observer) {
        this.name = name;
        this.config = config;
        this.root = root;
        this.observer = observer;
    }

    static ModelConfig modelConfig(ChelseaConfig config, String name) {
        if (ChelseaConfig.DEFAULT_NAME.equals(name)) {
            return config.defaultConfig();
        }
        ModelConfig c = config.namedConfig().get(name);
        if (c == null) {
            throw new io.quarkus.runtime.configuration.ConfigurationException("no configuration for the Chelsea model '" + name
                    + "' injected with @ModelName(\"" + name + "\"): set " + ROOT + "\"" + name + "\".chat-model.model-path",
                    Set.of(ROOT + "\"" + name + "\".chat-model.model-path"));
        }
        return c;
    }

    String name() {
        return name;
    }

    ModelConfig config() {
        return config;
    }

    /** The property prefix of this model: {@code quarkus.langchain4j.chelsea.} or {@code quarkus.langchain4j.chelsea."name".} */
    String prefix() {
        return ChelseaConfig.DEFAULT_NAME.equals(name) ? ROOT : ROOT + "\"" + name + "\".";
    }

    String label() {
        return ChelseaConfig.DEFAULT_NAME.equals(name) ? "(default)" : "'" + name + "'";
    }

    /** Every problem with the settings that can be seen without loading the model. */
    List<String> validate() {
        List<String> p = new ArrayList<>();
        ChatModelConfig c = config.chatModel();
        String cm = prefix() + "chat-model.";
        if (c.modelPath().isPresent() && c.modelName().isPresent()) {
            p.add(cm + "model-path: set either model-path (a local GGUF file) or model-name (a Hugging Face repository), not both");
        } else if (c.modelPath().isEmpty() && c.modelName().isEmpty()) {
            p.add(cm + "model-path: no model configured for " + label() + ": set " + cm + "model-path to a local GGUF file, or "
                    + cm + "model-name to a Hugging Face repository with " + cm + "quantization");
        } else if (c.modelPath().isPresent()) {
            Path f = c.modelPath().get();
            if (!Files.isRegularFile(f)) {
                p.add(cm + "model-path: model file not found: " + f.toAbsolutePath().normalize());
            } else if (!Files.isReadable(f)) {
                p.add(cm + "model-path: model file is not readable: " + f.toAbsolutePath().normalize());
            }
        } else if (c.quantization().isEmpty() || c.quantization().get().isBlank()) {
            p.add(cm + "quantization: required with model-name, to choose the GGUF file (such as Q4_K_M)");
        }
        if (!(c.temperature() >= 0) || Double.isInfinite(c.temperature())) {
            p.add(cm + "temperature: must be a number >= 0, got " + c.temperature());
        }
        if (!(c.topP() > 0 && c.topP() <= 1)) {
            p.add(cm + "top-p: must be in (0, 1], got " + c.topP());
        }
        if (c.topK() < 0) {
            p.add(cm + "top-k: must be >= 0 (0 = off), got " + c.topK());
        }
        if (!(c.minP() >= 0 && c.minP() <= 1)) {
            p.add(cm + "min-p: must be in [0, 1], got " + c.minP());
        }
        if (!(c.repetitionPenalty() > 0) || Double.isInfinite(c.repetitionPenalty())) {
            p.add(cm + "repetition-penalty: must be a number > 0 (1 = off), got " + c.repetitionPenalty());
        }
        if (c.maxTokens() < 1) {
            p.add(cm + "max-tokens: must be at least 1, got " + c.maxTokens());
        }
        if (c.contextLength() < 0) {
            p.add(cm + "context-length: must be >= 0 (0 = the model's own), got " + c.contextLength());
        }
        if (c.threads().isPresent() && c.threads().getAsInt() < 1) {
            p.add(cm + "threads: must be at least 1, got " + c.threads().getAsInt());
        }
        try {
            dev.chelsea.engine.backend.BackendChoice.parse(c.backend());
        } catch (IllegalArgumentException e) {
            p.add(cm + "backend: " + e.getMessage());
        }
        if (c.maxConcurrentRequests() < 1) {
            p.add(cm + "max-concurrent-requests: must be at least 1, got " + c.maxConcurrentRequests());
        }
        if (c.maxQueuedRequests() < 0) {
            p.add(cm + "max-queued-requests: must be >= 0, got " + c.maxQueuedRequests());
        }
        if (c.stop().isPresent() && c.stop().get().stream().anyMatch(String::isEmpty)) {
            p.add(cm + "stop: stop strings must not be empty");
        }
        validateKv(p);
        return p;
    }

    private void validateKv(List<String> p) {
        KvCacheConfig kv = config.kvCache();
        String k = prefix() + "kv-cache.";
        if (!dev.chelsea.engine.kv.KvCacheConfig.POLICIES.contains(kv.policy())) {
            p.add(k + "policy: unknown KV cache policy '" + kv.policy() + "' (known: "
                    + String.join(", ", dev.chelsea.engine.kv.KvCacheConfig.POLICIES) + ")");
        }
        if (!(kv.keptRatio() > 0 && kv.keptRatio() <= 1)) {
            p.add(k + "kept-ratio: must be in (0, 1], got " + kv.keptRatio());
        }
        if (kv.budget() < 0) {
            p.add(k + "budget: must be 0 (use kept-ratio) or positive, got " + kv.budget());
        } else if (kv.budget() > 0 && kv.budget() < kv.sinkTokens() + kv.recentWindow()) {
            p.add(k + "budget: " + kv.budget() + " is smaller than sink-tokens + recent-window (" + kv.sinkTokens() + " + "
                    + kv.recentWindow() + ")");
        }
        if (kv.chunkSize() < 2) {
            p.add(k + "chunk-size: must be at least 2, got " + kv.chunkSize());
        }
        if (kv.sinkTokens() < 0) {
            p.add(k + "sink-tokens: must be >= 0, got " + kv.sinkTokens());
        }
        if (kv.recentWindow() < 0) {
            p.add(k + "recent-window: must be >= 0, got " + kv.recentWindow());
        }
    }

    /** The property names that {@code problems} (from {@link #validate()}) start with. */
    Set<String> keysOf(List<String> problems) {
        Set<String> keys = new LinkedHashSet<>();
        for (String s : problems) {
            keys.add(s.substring(0, s.indexOf(':')));
        }
        return keys;
    }

    ChelseaChatModel chatModel() {
        return attributed(() -> build(ChelseaChatModel.builder()).build());
    }

    ChelseaStreamingChatModel streamingChatModel() {
        return attributed(() -> build(ChelseaStreamingChatModel.builder()).build());
    }

    private <B extends ChelseaModelBuilder<B>> B build(B b) {
        ChatModelConfig c = config.chatModel();
        KvCacheConfig kv = config.kvCache();
        b.modelPath(file())
                .modelName(ChelseaConfig.DEFAULT_NAME.equals(name) ? null : name)
                .threads(c.threads().isPresent() ? c.threads().getAsInt() : null)
                .contextLength(c.contextLength())
                .backend(c.backend())
                .queueName(ChelseaConfig.DEFAULT_NAME.equals(name) ? "default" : name)
                .queue(new QueueOptions(c.maxConcurrentRequests(), c.maxQueuedRequests()))
                .chatTemplate(c.chatTemplate().orElse(null))
                .temperature(c.temperature())
                .topP(c.topP())
                .topK(c.topK())
                .minP(c.minP())
                .repetitionPenalty(c.repetitionPenalty())
                .seed(c.seed().isPresent() ? c.seed().getAsLong() : null)
                .maxTokens(c.maxTokens())
                .stopSequences(c.stop().orElse(null))
                .kvCache(new dev.chelsea.engine.kv.KvCacheConfig(kv.policy(), kv.keptRatio(), kv.budget(), kv.chunkSize(),
                        kv.sinkTokens(), kv.recentWindow(), kv.sizeBias()))
                .logRequests(c.logRequests())
                .logResponses(c.logResponses())
                .observer(observer);
        return b;
    }

    /** Wraps a builder failure with the property most likely at fault. */
    private <T> T attributed(java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (GgufFormatException | ModelLoadException e) {
            throw new SetupException(prefix() + "chat-model." + (config.chatModel().modelPath().isPresent() ? "model-path" : "model-name"),
                    "cannot load " + file() + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            String property = m.contains("KV cache policy") ? "kv-cache.policy"
                    : m.contains("chat template") ? "chat-model.chat-template"
                    : "chat-model.model-path";
            throw new SetupException(prefix() + property, m, e);
        }
    }

    /** The GGUF file to load: the configured path, or the download of the configured repository. */
    private Path file() {
        if (resolvedFile != null) {
            return resolvedFile;
        }
        ChatModelConfig c = config.chatModel();
        if (c.modelPath().isPresent()) {
            resolvedFile = c.modelPath().get();
            return resolvedFile;
        }
        HuggingFaceDownloader downloader = HuggingFaceDownloader.builder()
                .baseUrl(root.huggingFace().baseUrl())
                .modelsDir(root.modelsPath())
                .token(root.huggingFace().token().orElse(System.getenv("HF_TOKEN")))
                .build();
        try {
            resolvedFile = downloader.download(c.modelName().get(), c.quantization().get());
        } catch (UncheckedIOException | IllegalArgumentException e) {
            throw new SetupException(prefix() + "chat-model.model-name", e.getMessage(), e);
        }
        return resolvedFile;
    }
}
