package dev.chelsea.quarkus.runtime;

import dev.chelsea.engine.gguf.GgufFormatException;
import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.langchain4j.ChelseaChatModel;
import dev.chelsea.langchain4j.ChelseaModelBuilder;
import dev.chelsea.langchain4j.ChelseaSettings;
import dev.chelsea.langchain4j.SettingProblem;
import dev.chelsea.langchain4j.ChelseaStreamingChatModel;
import dev.chelsea.langchain4j.GenerationObserver;
import dev.chelsea.langchain4j.PromptCacheOptions;
import dev.chelsea.langchain4j.QueueOptions;
import dev.chelsea.langchain4j.download.HuggingFaceDownloader;
import dev.chelsea.quarkus.runtime.config.ChatModelConfig;
import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import dev.chelsea.quarkus.runtime.config.KvCacheConfig;
import dev.chelsea.quarkus.runtime.config.ModelConfig;
import dev.chelsea.quarkus.runtime.config.PromptCacheConfig;

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
    /** The settings that decide whether requests fit the KV budget. */
    static final String KV_MEMORY_FIX = "settings: chat-model.max-concurrent-requests, chat-model.context-length, kv-cache.policy, "
            + ROOT + "kv-memory.budget or kv-memory.heap-share, and -Xmx";

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

    /** Every problem with the settings that can be seen without loading the model, each under its own property. */
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
            Path f = c.modelPath().get().toAbsolutePath().normalize();
            if (Files.isDirectory(f)) {
                p.add(cm + "model-path: " + f + " is a directory: name the GGUF file in it");
            } else if (!Files.exists(f)) {
                p.add(cm + "model-path: model file not found: " + f);
            } else if (!Files.isReadable(f)) {
                p.add(cm + "model-path: model file is not readable: " + f);
            }
        } else if (c.quantization().isEmpty() || c.quantization().get().isBlank()) {
            p.add(cm + "quantization: required with model-name, to choose the GGUF file (such as Q4_K_M)");
        }
        // The rules are the engine's, applied one setting at a time (ChelseaSettings): no check is written twice.
        List<SettingProblem> found = new ArrayList<>(configure(ChelseaChatModel.builder()).validateSettings());
        found.addAll(ChelseaSettings.queue(c.maxConcurrentRequests(), c.maxQueuedRequests()));
        found.addAll(kvCacheProblems());
        PromptCacheConfig pc = config.promptCache();
        if (pc.enabled()) {
            found.addAll(ChelseaSettings.promptCache(pc.maxBytes().asLongValue(), pc.minTokens()));
            if (pc.file().isPresent() && Files.isDirectory(pc.file().get())) {
                p.add(prefix() + "prompt-cache.file: " + pc.file().get().toAbsolutePath().normalize() + " is a directory: name a file in it");
            }
        }
        for (SettingProblem problem : found) {
            p.add(prefix() + property(problem.setting()) + ": " + problem.message());
        }
        return p;
    }

    /**
     * The engine's KV cache settings from the {@code kv-cache.*} properties, the same record the
     * command line builds from its options; empty when a setting is bad ({@link #validate()} says which).
     */
    java.util.Optional<dev.chelsea.engine.kv.KvCacheConfig> kvCache() {
        if (!kvCacheProblems().isEmpty()) {
            return java.util.Optional.empty();
        }
        KvCacheConfig kv = config.kvCache();
        return java.util.Optional.of(new dev.chelsea.engine.kv.KvCacheConfig(kv.policy(), kv.keptRatio(), kv.budget(),
                kv.chunkSize(), kv.sinkTokens(), kv.recentWindow(), kv.sizeBias(), kv.layerBudgets(), kv.globalTopk(), kv.promptChunk())
                .withMaxBytes(maxBytes(kv)).withKvType(dev.chelsea.engine.kv.KvType.parse(kv.kvType())));
    }

    private static long maxBytes(KvCacheConfig kv) {
        return kv.maxBytes().map(io.quarkus.runtime.configuration.MemorySize::asLongValue).orElse(0L);
    }

    private List<SettingProblem> kvCacheProblems() {
        KvCacheConfig kv = config.kvCache();
        return ChelseaSettings.kvCache(kv.policy(), kv.keptRatio(), kv.budget(), kv.chunkSize(), kv.sinkTokens(),
                kv.recentWindow(), kv.sizeBias(), kv.layerBudgets(), kv.globalTopk(), kv.promptChunk(), maxBytes(kv), kv.kvType());
    }

    /** The property (after the model prefix) of a builder setting. */
    static String property(String setting) {
        return switch (setting) {
            case "stopSequences" -> "chat-model.stop";
            case "queue.maxConcurrent" -> "chat-model.max-concurrent-requests";
            case "queue.maxQueued" -> "chat-model.max-queued-requests";
            case "kvCache.globalTopK" -> "kv-cache.global-topk";
            case "promptCache.maxBytes" -> "prompt-cache.max-bytes";
            case "promptCache.minTokens" -> "prompt-cache.min-tokens";
            default -> setting.startsWith("kvCache.") ? "kv-cache." + kebab(setting.substring("kvCache.".length()))
                    : "chat-model." + kebab(setting);
        };
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
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
        return attributed(() -> configure(ChelseaChatModel.builder()).modelPath(file()).build());
    }

    ChelseaStreamingChatModel streamingChatModel() {
        return attributed(() -> configure(ChelseaStreamingChatModel.builder()).modelPath(file()).build());
    }

    /** Every setting but the file. */
    private <B extends ChelseaModelBuilder<B>> B configure(B b) {
        ChatModelConfig c = config.chatModel();
        b.modelName(ChelseaConfig.DEFAULT_NAME.equals(name) ? null : name)
                .threads(c.threads().isPresent() ? c.threads().getAsInt() : null)
                .contextLength(c.contextLength())
                .backend(c.backend())
                .device(c.device())
                .queueName(ChelseaConfig.DEFAULT_NAME.equals(name) ? "default" : name)
                .chatTemplate(c.chatTemplate().orElse(null))
                .temperature(c.temperature())
                .topP(c.topP())
                .topK(c.topK())
                .minP(c.minP())
                .repetitionPenalty(c.repetitionPenalty())
                .seed(c.seed().isPresent() ? c.seed().getAsLong() : null)
                .maxTokens(c.maxTokens())
                .stopSequences(c.stop().orElse(null))
                .logRequests(c.logRequests())
                .logResponses(c.logResponses())
                .warmUp(c.warmUp())
                .timeout(c.timeout().orElse(null))
                .observer(observer);
        if (ChelseaSettings.queue(c.maxConcurrentRequests(), c.maxQueuedRequests()).isEmpty()) {
            b.queue(new QueueOptions(c.maxConcurrentRequests(), c.maxQueuedRequests()));
        }
        kvCache().ifPresent(b::kvCache);
        PromptCacheConfig pc = config.promptCache();
        if (pc.enabled() && ChelseaSettings.promptCache(pc.maxBytes().asLongValue(), pc.minTokens()).isEmpty()) {
            b.promptCache(new PromptCacheOptions(true, pc.maxBytes().asLongValue(), pc.minTokens(),
                    pc.file().map(f -> f.toAbsolutePath().normalize()).orElse(null)));
        }
        return b;
    }

    /**
     * Wraps a load failure with the property at fault. Loading is where the file, the backend, the
     * memory for the context and the KV policy meet the model; the message says which one failed.
     */
    private <T> T attributed(java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (GgufFormatException | ModelLoadException e) {
            String m = String.valueOf(e.getMessage());
            ModelLoadException.Reason reason = e instanceof ModelLoadException l ? l.reason() : ModelLoadException.Reason.FILE;
            String property = switch (reason) {
                case BACKEND -> "chat-model.backend";
                case CONTEXT -> "chat-model.context-length";
                case FILE -> config.chatModel().modelPath().isPresent() ? "chat-model.model-path" : "chat-model.model-name";
            };
            String what = property.endsWith("model-path") || property.endsWith("model-name") ? "cannot load " + file() + ": " + m : m;
            throw new SetupException(prefix() + property, what, e);
        } catch (ChelseaModelBuilder.KvBudgetException e) {
            throw new SetupException(prefix() + property(e.setting()), e.getMessage() + " (" + KV_MEMORY_FIX + ")", e);
        } catch (IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            String property = m.contains("KV max-bytes") ? "kv-cache.max-bytes"
                    : m.contains("KV cache policy") ? "kv-cache.policy"
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
            resolvedFile = c.modelPath().get().toAbsolutePath().normalize();
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
