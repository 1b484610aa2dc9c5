package dev.chelsea.langchain4j;

import java.util.concurrent.atomic.AtomicBoolean;

/** One user's hold on a shared {@link LoadedModel}; closing it lets the registry unload the model. */
public final class ModelLease implements AutoCloseable {
    private final ChelseaModelRegistry registry;
    private final LoadedModel loaded;
    private final GenerationQueue queue;
    private final AtomicBoolean closed = new AtomicBoolean();

    ModelLease(ChelseaModelRegistry registry, LoadedModel loaded, GenerationQueue queue) {
        this.registry = registry;
        this.loaded = loaded;
        this.queue = queue;
    }

    public LoadedModel loaded() {
        if (closed.get()) {
            throw new IllegalStateException("this chat model has been closed");
        }
        return loaded;
    }

    /** The queue this holder's requests go through. */
    public GenerationQueue queue() {
        loaded();
        return queue;
    }

    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            registry.release(loaded);
        }
    }
}
