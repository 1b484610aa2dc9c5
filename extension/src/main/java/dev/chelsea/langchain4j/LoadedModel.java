package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.CancellationToken;
import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.generate.TokenListener;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.promptcache.PromptCache;
import dev.chelsea.engine.promptcache.PromptCacheFile;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.model.WarmUp;

import java.io.IOException;
import java.lang.System.Logger.Level;

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
    private final KvMemory memory;
    /** The file as it was when mapped; null when it could not be read (then changes go unseen). */
    private final ModelFileState loadedFile;
    /** Why this model cannot serve any more; null while it can. */
    private volatile String unavailable;
    private final ConstraintCache constraints = new ConstraintCache();
    /** What the warm-up did; null until one ran. */
    private volatile WarmUp.Report warmUp;
    /**
     * Held while a warm-up runs (up to a minute), apart from this object's own lock, which guards
     * the queues and prompt caches that readiness, metrics and other chat models' requests read.
     */
    private final Object warmUpLock = new Object();
    int leases;

    LoadedModel(ModelKey key, Model model, long loadNanos) {
        this(key, model, loadNanos, new KvMemory("heap", Long.MAX_VALUE, "unlimited"));
    }

    LoadedModel(ModelKey key, Model model, long loadNanos, KvMemory memory) {
        this.key = key;
        this.model = model;
        this.generator = new Generator(model);
        this.loadNanos = loadNanos;
        this.memory = memory;
        ModelFileState state;
        try {
            state = ModelFileState.of(model.path());
        } catch (IOException e) {
            state = null;
        }
        this.loadedFile = state;
    }

    /** The KV budget of the memory this model's requests allocate from. */
    public KvMemory memory() {
        return memory;
    }

    /**
     * Fails with {@link ChelseaModelUnavailableException} when this model cannot serve: its file
     * changed since it was mapped (checked now: one {@code stat}), or reading it already failed.
     */
    public void checkAvailable() {
        String reason = unavailable;
        if (reason == null && loadedFile != null) {
            String change;
            try {
                change = loadedFile.changeTo(ModelFileState.of(model.path()));
            } catch (IOException e) {
                change = "it can no longer be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
            }
            if (change != null) {
                reason = markUnavailable("the model file " + model.path() + " changed after it was loaded: " + change);
            }
        }
        if (reason != null) {
            throw new ChelseaModelUnavailableException(reason);
        }
    }

    /** Why this model cannot serve (its file changed, or reading it failed), or null while it can. */
    public String unavailableReason() {
        return unavailable;
    }

    private synchronized String markUnavailable(String reason) {
        if (unavailable == null) {
            unavailable = reason + "; the model serves no more requests until it is loaded again (restore the file and restart)";
            System.getLogger(LoadedModel.class.getName()).log(Level.ERROR, unavailable);
        }
        return unavailable;
    }

    /**
     * Runs {@code request} with {@code generator} (this model's, or one over a prompt cache) in a new
     * session whose KV cache {@code reservation} (if any) reports while it runs, and gives the
     * reservation back when the session is closed. A fault reading the mapped weights (the JVM turns a SIGBUS on a truncated file into an
     * {@code InternalError}) marks this model unavailable and fails the request with
     * {@link ChelseaModelUnavailableException}; the JVM and the other models carry on.
     */
    GenerationResult generate(Generator generator, GenerationRequest request, TokenListener listener, CancellationToken cancel,
                              KvMemory.Reservation reservation) {
        try {
            checkAvailable();
            try (Session session = model.newSession(request.kvCache())) {
                if (reservation != null) {
                    reservation.track(session);
                }
                return generator.generate(session, request, listener, cancel);
            } finally {
                // the session's memory is free: the budget has it back before the caller hears the answer
                if (reservation != null) {
                    reservation.close();
                }
            }
        } catch (InternalError e) {
            String change = null;
            if (loadedFile != null) {
                try {
                    change = loadedFile.changeTo(ModelFileState.of(model.path()));
                } catch (IOException gone) {
                    change = "it can no longer be read";
                }
            }
            String reason = markUnavailable("reading the weights of " + model.path() + " failed (" + e.getMessage() + ")"
                    + (change != null ? ": the file was " + change + " while mapped" : ": the file may have changed while mapped"));
            throw new ChelseaModelUnavailableException(reason, e);
        }
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
            q = new GenerationQueue(name.equals(SHARED_QUEUE) ? model.name() : name, options, this);
            queues.put(name, q);
        } else if (!q.options().equals(options)) {
            GenerationQueue existing = q;
            LOG.log(System.Logger.Level.WARNING, () -> "Queue '" + name + "' of model "
                    + key.file() + " already has " + existing.options() + "; ignoring the different " + options);
        }
        // A queue drained by a shutdown serves again when a new application start takes it (dev mode).
        q.resume();
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

    /**
     * Warms the model up (see {@link WarmUp}) unless that was done already; returns what the warm-up
     * did. Chat models built at the same time wait for the one warm-up.
     */
    WarmUp.Report warmUp(java.time.Duration limit) {
        synchronized (warmUpLock) {
            if (warmUp == null) {
                WarmUp.Report r = WarmUp.run(model, limit);
                LOG.log(Level.INFO, () -> String.format("Warmed up model '%s': %d prefills and %d decode steps in %d ms%s",
                        model.name(), r.prefills(), r.decodeSteps(), r.spent().toMillis(),
                        r.allocationText()));
                warmUp = r;
            }
            return warmUp;
        }
    }

    /** What the warm-up did, or null if none ran. */
    public WarmUp.Report warmedUp() {
        return warmUp;
    }
}
