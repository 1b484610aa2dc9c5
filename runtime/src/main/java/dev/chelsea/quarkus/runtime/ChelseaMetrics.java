package dev.chelsea.quarkus.runtime;

import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.generate.StopReason;
import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.promptcache.PromptCache;
import dev.chelsea.langchain4j.GenerationEvent;
import dev.chelsea.langchain4j.ChelseaMemoryFullException;
import dev.chelsea.langchain4j.ChelseaModelUnavailableException;
import dev.chelsea.langchain4j.ChelseaQueueFullException;
import dev.chelsea.langchain4j.ChelseaShuttingDownException;
import dev.chelsea.langchain4j.ChelseaTimeoutException;
import dev.chelsea.langchain4j.GenerationQueue;
import dev.chelsea.langchain4j.KvMemory;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
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
 * and what compression saved, requests by outcome, the queue, and the prompt cache; and for each
 * memory (tag {@code memory}), the KV budget, what requests reserved of it and what their caches hold.
 */
@ApplicationScoped
public class ChelseaMetrics {
    @Inject
    MeterRegistry registry;

    @Inject
    ChelseaModels models;

    private final Map<String, double[]> lastSaving = new ConcurrentHashMap<>();

    void registerGauges(@Observes StartupEvent event) {
        java.util.Set<KvMemory> memories = new java.util.LinkedHashSet<>();
        for (ChelseaModels.Entry e : models.entries()) {
            if (e.enabled()) {
                memories.add(e.loaded().memory());
            }
        }
        for (KvMemory m : memories) {
            Tags tags = Tags.of("memory", m.name());
            Gauge.builder("chelsea.kv.budget.bytes", m, KvMemory::budget).tags(tags).baseUnit("bytes")
                    .description("Bytes the KV caches of requests may reserve in this memory").register(registry);
            Gauge.builder("chelsea.kv.reserved.bytes", m, KvMemory::reserved).tags(tags).baseUnit("bytes")
                    .description("Bytes reserved by the requests running and waiting (what they may hold at most)").register(registry);
            Gauge.builder("chelsea.kv.used.bytes", m, KvMemory::inUse).tags(tags).baseUnit("bytes")
                    .description("Bytes the KV caches of the running requests hold now").register(registry);
        }
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
            if (e.promptCache() != null) {
                registerPromptCache(e.promptCache(), tags);
            }
            double[] saving = lastSaving.computeIfAbsent(e.name(), k -> new double[1]);
            Gauge.builder("chelsea.kv.saved.ratio", saving, s -> s[0]).tags(tags)
                    .description("Fraction of the full KV cache that the last request's policy saved").register(registry);
        }
    }

    /** The prompt cache's figures, read from it whenever the registry is scraped. */
    private void registerPromptCache(PromptCache cache, Tags tags) {
        FunctionCounter.builder("chelsea.prompt.cache.lookups", cache, c -> c.stats().hits()).tags(tags.and("result", "hit"))
                .description("Requests that started from a cached conversation start (hit) or found none (miss)").register(registry);
        FunctionCounter.builder("chelsea.prompt.cache.lookups", cache, c -> c.stats().misses()).tags(tags.and("result", "miss"))
                .description("Requests that started from a cached conversation start (hit) or found none (miss)").register(registry);
        FunctionCounter.builder("chelsea.prompt.cache.stores", cache, c -> c.stats().stores()).tags(tags)
                .description("Conversation starts stored in the prompt cache").register(registry);
        FunctionCounter.builder("chelsea.prompt.cache.evictions", cache, c -> c.stats().evictions()).tags(tags)
                .description("Cached conversation starts dropped to stay within max-bytes").register(registry);
        Gauge.builder("chelsea.prompt.cache.bytes", cache, c -> c.stats().bytes()).baseUnit("bytes").tags(tags)
                .description("Bytes the prompt cache holds now").register(registry);
        Gauge.builder("chelsea.prompt.cache.entries", cache, c -> c.stats().entries()).tags(tags)
                .description("Conversation starts the prompt cache holds now").register(registry);
    }

    /** Records one generation of the model configured as {@code model} (the tag of all its meters). */
    void record(String model, GenerationEvent event) {
        Tags tags = Tags.of("model", model);
        if (event.failed()) {
            String[] kind = switch (event.error()) {
                case ChelseaTimeoutException t -> new String[]{"timeout", "deadline"};
                case ChelseaMemoryFullException m -> new String[]{"refused", "kv_memory_full"};
                case ChelseaQueueFullException q -> new String[]{"refused", "queue_full"};
                case ChelseaShuttingDownException s -> new String[]{"refused", "shutting_down"};
                case ChelseaModelUnavailableException u -> new String[]{"failure", "model_unavailable"};
                default -> new String[]{"failure", "none"};
            };
            registry.counter("chelsea.requests", tags.and("outcome", kind[0], "stop_reason", kind[1])).increment();
            return;
        }
        GenerationStats s = event.stats();
        // A client that left is not a success: its answer was never finished; nor one cut at its time limit.
        String outcome = switch (event.reason()) {
            case CANCELLED -> "cancelled";
            case DEADLINE -> "timeout";
            default -> "success";
        };
        registry.counter("chelsea.requests", tags.and("outcome", outcome, "stop_reason",
                event.reason().name().toLowerCase(java.util.Locale.ROOT))).increment();
        registry.counter("chelsea.tokens.prompt", tags).increment(s.promptTokens());
        registry.counter("chelsea.tokens.generated", tags).increment(s.generatedTokens());
        if (s.cachedTokens() > 0) {
            registry.counter("chelsea.tokens.cached", tags).increment(s.cachedTokens());
        }
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
