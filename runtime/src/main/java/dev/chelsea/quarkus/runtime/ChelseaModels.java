package dev.chelsea.quarkus.runtime;

import dev.chelsea.langchain4j.ChelseaChatModel;
import dev.chelsea.langchain4j.ChelseaModelRegistry;
import dev.chelsea.langchain4j.ChelseaStreamingChatModel;
import dev.chelsea.langchain4j.GenerationQueue;
import dev.chelsea.langchain4j.LoadedModel;
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
     * The chat and streaming models of a name share one queue; names share the loaded file.
     */
    public record Entry(String name, ChatModel chatModel, StreamingChatModel streamingChatModel, LoadedModel loaded,
                        GenerationQueue queue) {
        public boolean enabled() {
            return loaded != null;
        }
    }

    private final Map<String, Entry> entries;

    private ChelseaModels(Map<String, Entry> entries) {
        this.entries = entries;
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
                entries.put(name, new Entry(name, new DisabledChatModel(), new DisabledStreamingChatModel(), null, null));
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
                entries.put(name, new Entry(name, chat, streaming, chat.loadedModel(), chat.queue()));
            } catch (ModelSetup.SetupException e) {
                problems.add(e.getMessage());
                keys.add(e.property());
            }
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
