package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.model.Model;

/**
 * A model loaded once and shared: its weights and worker threads, the generator that runs requests
 * on it and the queue that admits them. Obtained through {@link ChelseaModelRegistry}.
 */
public final class LoadedModel {
    private final ModelKey key;
    private final Model model;
    private final Generator generator;
    private final GenerationQueue queue;
    private final long loadNanos;
    private final java.util.Set<String> notices = java.util.concurrent.ConcurrentHashMap.newKeySet();
    int leases;

    LoadedModel(ModelKey key, Model model, QueueOptions queueOptions, long loadNanos) {
        this.key = key;
        this.model = model;
        this.generator = new Generator(model);
        this.queue = new GenerationQueue(model.name(), queueOptions);
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

    public GenerationQueue queue() {
        return queue;
    }

    /** How long loading took. */
    public long loadNanos() {
        return loadNanos;
    }

    /** True the first time {@code notice} is given for this model: a warning shared by its chat models is logged once. */
    boolean firstNotice(String notice) {
        return notices.add(notice);
    }

    void close() {
        try {
            queue.close();
        } finally {
            model.close();
        }
    }
}
