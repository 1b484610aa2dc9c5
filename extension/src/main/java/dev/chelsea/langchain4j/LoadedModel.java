package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.promptcache.PromptCache;
import dev.chelsea.engine.promptcache.PromptCacheFile;

/**
 * A model loaded once and shared: its weights and worker threads, the generator that runs requests
 * on it, and the named queues that admit them. Chat models that name the same queue share its
 * limits (by default all share one, {@value #SHARED_QUEUE}); the Quarkus extension gives each
 * configured model its own. Obtained through {@link ChelseaModelRegistry}.
 */
public final class LoadedModel {
    private final ModelKey key;
    private final Model model;
    private final Generator generator;
    /** The queue of chat models that do not name one. */
    public static final String SHARED_QUEUE = "shared";

    private final java.util.Map<String, GenerationQueue> queues = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, NamedCache> promptCaches = new java.util.LinkedHashMap<>();
    private static final System.Logger LOG = System.getLogger(LoadedModel.class.getName());
    private final long loadNanos;
    private final java.util.Set<String> notices = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ConstraintCache constraints = new ConstraintCache();
    int leases;

    LoadedModel(ModelKey key, Model model, long loadNanos) {
        this.key = key;
        this.model = model;
        this.generator = new Generator(model);
        this.loadNanos = loadNanos;
    }

    public ModelKey key() {
        return key;
    }

    public Model model() {
        return model;
    }

    public Generator generator() {
        return generator;
    }

    /**
     * The queue called {@code name}, created with {@code options} if it is new. A queue keeps the
     * options it was created with; a later request for other options gets a warning.
     */
    synchronized GenerationQueue queue(String name, QueueOptions options) {
        GenerationQueue q = queues.get(name);
        if (q == null) {
            q = new GenerationQueue(name.equals(SHARED_QUEUE) ? model.name() : name, options);
            queues.put(name, q);
        } else if (!q.options().equals(options)) {
            GenerationQueue existing = q;
            LOG.log(System.Logger.Level.WARNING, () -> "Queue '" + name + "' of model "
                    + key.file() + " already has " + existing.options() + "; ignoring the different " + options);
        }
        return q;
    }

    /**
     * The prompt cache called {@code name} (the Quarkus extension uses the configured model's name),
     * created with {@code options} if it is new: read from its file when it has one. A cache keeps
     * the options it was created with; a later request for other options gets a warning.
     */
    synchronized PromptCache promptCache(String name, PromptCacheOptions options) {
        NamedCache c = promptCaches.get(name);
        if (c == null) {
            c = new NamedCache(new PromptCache(options.maxBytes(), options.minTokens()), options);
            promptCaches.put(name, c);
            if (options.file() != null) {
                load(c, options.file());
            }
        } else if (!c.options.equals(options)) {
            NamedCache existing = c;
            LOG.log(System.Logger.Level.WARNING, () -> "Prompt cache '" + name + "' of model " + key.file() + " already has "
                    + existing.options + "; ignoring the different " + options);
        }
        return c.cache;
    }

    private void load(NamedCache c, java.nio.file.Path file) {
        try {
            long t0 = System.nanoTime();
            PromptCacheFile.LoadResult r = PromptCacheFile.load(c.cache, model, file);
            if (r.loaded()) {
                if (r.entries() > 0) {
                    LOG.log(System.Logger.Level.INFO, () -> "Read " + r.entries() + " cached prompt(s) from " + file + " in "
                            + (System.nanoTime() - t0) / 1_000_000 + " ms");
                }
            } else {
                LOG.log(System.Logger.Level.WARNING, () -> "Prompt cache not read: " + r.problem() + "; starting empty (the file is replaced when the model is unloaded)");
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Prompt cache not read from " + file + ": " + e + "; starting empty", e);
        }
    }

    /** Every prompt cache of this model, by name. */
    public synchronized java.util.Map<String, PromptCache> promptCaches() {
        java.util.Map<String, PromptCache> m = new java.util.LinkedHashMap<>();
        promptCaches.forEach((n, c) -> m.put(n, c.cache));
        return m;
    }

    /** Writes every prompt cache that has a file; failures are logged, not thrown (the model is being unloaded). */
    private void savePromptCaches() {
        for (NamedCache c : promptCaches.values()) {
            java.nio.file.Path file = c.options.file();
            if (file == null) {
                continue;
            }
            try {
                long t0 = System.nanoTime();
                int n = PromptCacheFile.save(c.cache, model, file);
                LOG.log(System.Logger.Level.INFO, () -> "Wrote " + n + " cached prompt(s) to " + file + " in "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms");
            } catch (java.io.IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Prompt cache not written to " + file + ": " + e, e);
            }
        }
    }

    private record NamedCache(PromptCache cache, PromptCacheOptions options) {
    }

    /** Every queue of this model. */
    public synchronized java.util.List<GenerationQueue> queues() {
        return java.util.List.copyOf(queues.values());
    }

    /** How long loading took. */
    public long loadNanos() {
        return loadNanos;
    }

    /** Compiled JSON and tool-call grammars for this model's vocabulary, shared by its chat models. */
    ConstraintCache constraints() {
        return constraints;
    }

    /** True the first time {@code notice} is given for this model: a warning shared by its chat models is logged once. */
    boolean firstNotice(String notice) {
        return notices.add(notice);
    }

    void close() {
        try {
            for (GenerationQueue q : queues()) {
                q.close();
            }
            synchronized (this) {
                savePromptCaches();
                promptCaches.values().forEach(c -> c.cache.close());
            }
        } finally {
            model.close();
        }
    }
}
