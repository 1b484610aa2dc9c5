package dev.chelsea.quarkus.runtime;

import dev.chelsea.langchain4j.GenerationEvent;
import dev.chelsea.langchain4j.GenerationObserver;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ArcContainer;
import io.quarkus.arc.InjectableInstance;

/**
 * Hands generation events to {@link ChelseaMetrics} when the application has Micrometer (the bean
 * exists only then). Models are built before the CDI beans that observe them, so the lookup is lazy.
 */
final class MetricsBridge implements GenerationObserver {
    /** The configured name: every meter of a model carries the same tag, whatever name the model file gives itself. */
    private final String model;
    private volatile InjectableInstance<ChelseaMetrics> metrics;

    MetricsBridge(String model) {
        this.model = model;
    }

    @Override
    public void onGeneration(GenerationEvent event) {
        InjectableInstance<ChelseaMetrics> m = metrics;
        if (m == null) {
            ArcContainer arc = Arc.container();
            if (arc == null || !arc.isRunning()) {
                return;
            }
            m = metrics = arc.select(ChelseaMetrics.class);
        }
        if (m.isResolvable()) {
            m.get().record(model, event);
        }
    }
}
