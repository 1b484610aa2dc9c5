package dev.chelsea.quarkus.runtime;

import dev.chelsea.langchain4j.ChelseaChatModel;
import dev.chelsea.langchain4j.ChelseaModelRegistry;
import dev.chelsea.langchain4j.ChelseaStreamingChatModel;
import dev.chelsea.langchain4j.GenerationQueue;
import dev.chelsea.langchain4j.LoadedModel;
import dev.chelsea.engine.promptcache.PromptCache;
import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.DisabledChatModel;
import dev.langchain4j.model.chat.DisabledStreamingChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import io.quarkus.runtime.configuration.ConfigurationException;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The models of this application, built from configuration at startup: for each name, a chat model
 * and a streaming chat model sharing one loaded model. Injectable, for health and metrics.
 */
public final class ChelseaModels {
    private static final Logger LOG = Logger.getLogger(ChelseaModels.class);

    /**
     * One configured model; {@code loaded} and {@code queue} are null when the integration is disabled.
     * The chat and streaming models of a name share one queue and one prompt cache ({@code null}
     * when it is not enabled); names share the loaded file.
     */
    public record Entry(String name, ChatModel chatModel, StreamingChatModel streamingChatModel, LoadedModel loaded,
                        GenerationQueue queue, PromptCache promptCache) {
        public boolean enabled() {
            return loaded != null;
        }
    }

    private final Map<String, Entry> entries;
    private volatile boolean shuttingDown;

    private ChelseaModels(Map<String, Entry> entries) {
        this.entries = entries;
    }

    /** How much of each memory requests' KV caches may reserve, from {@code kv-memory.*}; problems go to {@code problems}. */
    private static dev.chelsea.langchain4j.KvMemoryOptions kvMemoryOptions(ChelseaConfig config, List<String> problems, Set<String> keys) {
        var c = config.kvMemory();
        String p = ModelSetup.ROOT + "kv-memory.";
        long bytes = c.budget().map(m -> m.asLongValue()).orElse(0L);
        int before = problems.size();
        if (!(c.heapShare() > 0 && c.heapShare() <= 1)) {
            problems.add(p + "heap-share: must be in (0, 1], got " + c.heapShare());
            keys.add(p + "heap-share");
        }
        if (!(c.deviceShare() > 0 && c.deviceShare() <= 1)) {
            problems.add(p + "device-share: must be in (0, 1], got " + c.deviceShare());
            keys.add(p + "device-share");
        }
        if (c.budget().isPresent() && bytes <= 0) {
            problems.add(p + "budget: must be positive, got " + bytes + " bytes");
            keys.add(p + "budget");
        }
        return problems.size() > before ? null : new dev.chelsea.langchain4j.KvMemoryOptions(c.heapShare(), c.deviceShare(), bytes);
    }

    /**
     * Every model that allocates from the same memory, all running as many requests as they may at
     * once, must fit its KV budget: the builders check each model alone, this checks them together.
     */
    private static void checkKvBudgets(List<ModelSetup> setups, Map<String, Entry> entries, List<String> problems, Set<String> keys) {
        Map<dev.chelsea.langchain4j.KvMemory, List<ModelSetup>> byMemory = new LinkedHashMap<>();
        for (ModelSetup setup : setups) {
            Entry e = entries.get(setup.name());
            if (e != null && e.enabled()) {
                byMemory.computeIfAbsent(e.loaded().memory(), m -> new ArrayList<>()).add(setup);
            }
        }
        byMemory.forEach((memory, group) -> {
            if (group.size() < 2) {
                return;
            }
            List<dev.chelsea.langchain4j.KvMemory.Claim> claims = new ArrayList<>();
            for (ModelSetup setup : group) {
                Entry e = entries.get(setup.name());
                claims.add(dev.chelsea.langchain4j.ChelseaModelBuilder.claim(publicName(setup.name()),
                        e.queue().options().maxConcurrent(), e.loaded().model(), setup.kvCache().orElseThrow()));
            }
            String problem = memory.overcommit(claims);
            if (problem != null) {
                String property = group.getFirst().prefix() + "chat-model.max-concurrent-requests";
                problems.add(property + ": " + problem + " (" + ModelSetup.KV_MEMORY_FIX + ")");
                for (ModelSetup setup : group) {
                    keys.add(setup.prefix() + "chat-model.max-concurrent-requests");
                }
            }
        });
    }

    /**
     * Builds every model in {@code names}, checking all configuration first and reporting every
     * problem at once, each with the property to fix.
     */
    static ChelseaModels create(ChelseaConfig config, Collection<String> names, boolean devMode) {
        ChelseaModelRegistry registry = ChelseaModelRegistry.shared();
        // Dev mode keeps weights mapped across live reloads: the next start finds them in the registry.
        registry.keepIdleModels(devMode);
        List<String> problems = new ArrayList<>();
        Set<String> keys = new LinkedHashSet<>();
        var memoryOptions = kvMemoryOptions(config, problems, keys);
        if (memoryOptions != null) {
            registry.kvMemoryOptions(memoryOptions);
        }
        List<ModelSetup> setups = new ArrayList<>();
        for (String name : names) {
            ModelSetup setup = new ModelSetup(name, ModelSetup.modelConfig(config, name), config, new MetricsBridge(name));
            setups.add(setup);
            if (setup.config().enableIntegration()) {
                List<String> found = setup.validate();
                problems.addAll(found);
                keys.addAll(setup.keysOf(found));
            }
        }
        // Settings first, for every model: a typo should not wait for a download or a load to be reported.
        if (!problems.isEmpty()) {
            throw misconfigured(problems, keys);
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (ModelSetup setup : setups) {
            String name = setup.name();
            if (!setup.config().enableIntegration()) {
                LOG.infof("Chelsea model %s is disabled (%senable-integration=false)", setup.label(), setup.prefix());
                entries.put(name, new Entry(name, new DisabledChatModel(), new DisabledStreamingChatModel(), null, null, null));
                continue;
            }
            try {
                ChelseaChatModel chat = setup.chatModel();
                ChelseaStreamingChatModel streaming;
                try {
                    streaming = setup.streamingChatModel();
                } catch (RuntimeException e) {
                    chat.close();
                    throw e;
                }
                entries.put(name, new Entry(name, chat, streaming, chat.loadedModel(), chat.queue(), chat.promptCache()));
            } catch (ModelSetup.SetupException e) {
                problems.add(e.getMessage());
                keys.add(e.property());
            }
        }
        if (problems.isEmpty()) {
            checkKvBudgets(setups, entries, problems, keys);
        }
        ChelseaModels models = new ChelseaModels(entries);
        if (!problems.isEmpty()) {
            models.close();
            throw misconfigured(problems, keys);
        }
        if (devMode) {
            int unloaded = registry.closeIdle();
            if (unloaded > 0) {
                LOG.infof("Unloaded %d model(s) no longer configured", unloaded);
            }
        }
        return models;
    }

    private static ConfigurationException misconfigured(List<String> problems, Set<String> keys) {
        return new ConfigurationException("Chelsea models are misconfigured:\n  - " + String.join("\n  - ", problems), keys);
    }

    public Set<String> names() {
        return entries.keySet();
    }

    /** What clients call the default model ({@code <default>} in configuration). */
    public static final String DEFAULT_PUBLIC_NAME = "default";

    /** The name clients use for a configured model: its own, or {@code default} for the default model. */
    public static String publicName(String configured) {
        return ChelseaConfig.DEFAULT_NAME.equals(configured) ? DEFAULT_PUBLIC_NAME : configured;
    }

    /** The public names of the models, in configuration order. */
    public List<String> publicNames() {
        return entries.keySet().stream().map(ChelseaModels::publicName).toList();
    }

    /**
     * The model a client names: a named model by its name; the default model by {@code default},
     * {@code <default>}, or no name at all. Empty when there is no such model.
     */
    public Optional<Entry> find(String publicName) {
        if (publicName == null || publicName.isBlank() || publicName.equals(DEFAULT_PUBLIC_NAME)) {
            return entry(ChelseaConfig.DEFAULT_NAME);
        }
        return entry(publicName);
    }

    public Collection<Entry> entries() {
        return entries.values();
    }

    public Optional<Entry> entry(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    public ChatModel chatModel(String name) {
        return require(name).chatModel();
    }

    public StreamingChatModel streamingChatModel(String name) {
        return require(name).streamingChatModel();
    }

    private Entry require(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no Chelsea model named '" + name + "' (configured: " + entries.keySet() + ")");
        }
        return e;
    }

    /** Whether the application is shutting down: readiness is DOWN and new requests are refused. */
    public boolean shuttingDown() {
        return shuttingDown;
    }

    /** The first step of a shutdown: new requests are refused (503) and readiness reports DOWN. */
    void stopAdmitting() {
        shuttingDown = true;
        for (Entry e : entries.values()) {
            if (e.enabled()) {
                e.queue().stopAdmitting();
            }
        }
    }

    /**
     * The rest of a graceful shutdown: requests running or waiting may finish for {@code grace}
     * (all models together), then those left are stopped and their callers told why.
     */
    void drain(java.time.Duration grace) {
        stopAdmitting();
        long deadline = System.nanoTime() + grace.toNanos();
        int stopped = 0;
        for (Entry e : entries.values()) {
            if (!e.enabled()) {
                continue;
            }
            int busy = e.queue().running() + e.queue().waiting();
            if (busy > 0) {
                LOG.infof("Chelsea model %s: waiting up to %d ms for %d request(s) to finish", publicName(e.name()),
                        Math.max(0, (deadline - System.nanoTime()) / 1_000_000), busy);
            }
            if (!e.queue().drain(java.time.Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                stopped++;
            }
        }
        if (stopped > 0) {
            LOG.warnf("Stopped the requests of %d Chelsea model(s) still running after the shutdown grace period of %s", stopped, grace);
        }
    }

    /** Releases every model; the registry unloads them unless dev mode keeps them for the next start. */
    void close() {
        for (Entry e : entries.values()) {
            if (e.chatModel() instanceof AutoCloseable c) {
                closeQuietly(c);
            }
            if (e.streamingChatModel() instanceof AutoCloseable c) {
                closeQuietly(c);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("Failed to close a Chelsea model", e);
        }
    }
}
