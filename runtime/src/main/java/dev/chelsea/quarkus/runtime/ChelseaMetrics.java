package dev.chelsea.quarkus.runtime;

import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.generate.StopReason;
import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.langchain4j.GenerationEvent;
import dev.chelsea.langchain4j.GenerationQueue;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Micrometer meters for the models (registered only when the application has Micrometer), tagged
 * with the model's configured name: tokens in and out, prefill and decode speed, KV cache bytes
 * and what compression saved, requests by outcome, and the queue.
 */
@ApplicationScoped
public class ChelseaMetrics {
    @Inject
    MeterRegistry registry;

    @Inject
    ChelseaModels models;

    private final Map<String, double[]> lastSaving = new ConcurrentHashMap<>();

    void registerGauges(@Observes StartupEvent event) {
        for (ChelseaModels.Entry e : models.entries()) {
            if (!e.enabled()) {
                continue;
            }
            GenerationQueue queue = e.queue();
            Tags tags = Tags.of("model", e.name());
            Gauge.builder("chelsea.queue.running", queue, GenerationQueue::running).tags(tags)
                    .description("Generations running now").register(registry);
            Gauge.builder("chelsea.queue.waiting", queue, GenerationQueue::waiting).tags(tags)
                    .description("Requests waiting for a free slot").register(registry);
            try {
                var backend = e.loaded().model().backend();
                // An info gauge: which backend and device run the model (cpu / cuda and the device in words).
                Gauge.builder("chelsea.backend", () -> 1).tags(tags.and("backend", backend.type().id(), "device", backend.description()))
                        .description("The backend a model runs on (always 1; the tags say which)").register(registry);
            } catch (RuntimeException notLoaded) {
                // Readiness reports a model that failed to load; it has no backend to describe.
            }
            double[] saving = lastSaving.computeIfAbsent(e.name(), k -> new double[1]);
            Gauge.builder("chelsea.kv.saved.ratio", saving, s -> s[0]).tags(tags)
                    .description("Fraction of the full KV cache that the last request's policy saved").register(registry);
        }
    }

    /** Records one generation of the model configured as {@code model} (the tag of all its meters). */
    void record(String model, GenerationEvent event) {
        Tags tags = Tags.of("model", model);
        if (event.failed()) {
            registry.counter("chelsea.requests", tags.and("outcome", "failure", "stop_reason", "none")).increment();
            return;
        }
        GenerationStats s = event.stats();
        // A client that left is not a success: its answer was never finished.
        String outcome = event.reason() == StopReason.CANCELLED ? "cancelled" : "success";
        registry.counter("chelsea.requests", tags.and("outcome", outcome, "stop_reason",
                event.reason().name().toLowerCase(java.util.Locale.ROOT))).increment();
        registry.counter("chelsea.tokens.prompt", tags).increment(s.promptTokens());
        registry.counter("chelsea.tokens.generated", tags).increment(s.generatedTokens());
        DistributionSummary.builder("chelsea.prefill.tokens.per.second").tags(tags)
                .description("Prompt tokens processed per second").register(registry).record(s.prefillTokensPerSecond());
        if (s.generatedTokens() > 1) {
            DistributionSummary.builder("chelsea.decode.tokens.per.second").tags(tags)
                    .description("Tokens generated per second after the first").register(registry).record(s.decodeTokensPerSecond());
        }
        KvStats kv = s.kv();
        if (kv != null) {
            DistributionSummary.builder("chelsea.kv.bytes").baseUnit("bytes").tags(tags)
                    .description("KV cache bytes held at the end of a request").register(registry).record(kv.totalBytes());
            long saved = Math.max(0, kv.uncompressedBytes() - kv.keyBytes() - kv.valueBytes());
            DistributionSummary.builder("chelsea.kv.saved.bytes").baseUnit("bytes").tags(tags)
                    .description("KV cache bytes saved by compression compared with the full cache").register(registry).record(saved);
            lastSaving.computeIfAbsent(model, k -> new double[1])[0] = kv.savedFraction();
        }
    }
}
