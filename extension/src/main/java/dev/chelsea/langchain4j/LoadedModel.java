package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.model.Model;

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
            System.getLogger(LoadedModel.class.getName()).log(System.Logger.Level.WARNING, () -> "Queue '" + name + "' of model "
                    + key.file() + " already has " + existing.options() + "; ignoring the different " + options);
        }
        return q;
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
        } finally {
            model.close();
        }
    }
}
