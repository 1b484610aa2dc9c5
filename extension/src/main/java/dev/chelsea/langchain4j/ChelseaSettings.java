package dev.chelsea.langchain4j;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvType;
import dev.chelsea.engine.promptcache.PromptCache;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.tokenizer.ChatTemplates;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks settings before anything is loaded, and ties every problem to its setting. The rules are
 * the engine's own: each value is tried in the engine record that owns it ({@link SamplingParams},
 * {@link ModelOptions}, {@link KvCacheConfig}, {@link GenerationRequest}, {@link QueueOptions}), one
 * setting at a time over valid defaults, so that every bad setting is reported, each under its own
 * name, and no rule is written twice.
 */
public final class ChelseaSettings {
    private static final int[] ONE_TOKEN = {0};

    private ChelseaSettings() {
    }

    /** Sampling settings (null: not set); names from {@link RequestParameter}. */
    public static List<SettingProblem> sampling(Double temperature, Integer topK, Double topP, Double minP, Double repetitionPenalty) {
        List<SettingProblem> p = new ArrayList<>();
        SamplingParams g = SamplingParams.GREEDY;
        if (temperature != null) {
            attempt(p, RequestParameter.TEMPERATURE, () -> new SamplingParams(temperature.floatValue(), g.topK(), g.topP(), g.minP(),
                    g.repetitionPenalty(), g.repetitionWindow(), 0));
        }
        if (topK != null) {
            attempt(p, RequestParameter.TOP_K, () -> new SamplingParams(g.temperature(), topK, g.topP(), g.minP(),
                    g.repetitionPenalty(), g.repetitionWindow(), 0));
        }
        if (topP != null) {
            attempt(p, RequestParameter.TOP_P, () -> new SamplingParams(g.temperature(), g.topK(), topP.floatValue(), g.minP(),
                    g.repetitionPenalty(), g.repetitionWindow(), 0));
        }
        if (minP != null) {
            attempt(p, RequestParameter.MIN_P, () -> new SamplingParams(g.temperature(), g.topK(), g.topP(), minP.floatValue(),
                    g.repetitionPenalty(), g.repetitionWindow(), 0));
        }
        if (repetitionPenalty != null) {
            attempt(p, RequestParameter.REPETITION_PENALTY, () -> new SamplingParams(g.temperature(), g.topK(), g.topP(), g.minP(),
                    repetitionPenalty.floatValue(), g.repetitionWindow(), 0));
        }
        return p;
    }

    /** Most tokens per answer and stop strings (null: not set), under the names given. */
    public static List<SettingProblem> generation(String maxTokensName, Integer maxTokens, String stopName, List<String> stops) {
        List<SettingProblem> p = new ArrayList<>();
        if (maxTokens != null) {
            attempt(p, maxTokensName, () -> new GenerationRequest(ONE_TOKEN, null, maxTokens, null, null));
        }
        if (stops != null) {
            if (stops.stream().anyMatch(java.util.Objects::isNull)) {
                p.add(new SettingProblem(stopName, "stop strings must not be null"));
            } else {
                attempt(p, stopName, () -> new GenerationRequest(ONE_TOKEN, null, 1, stops, null));
            }
        }
        return p;
    }

    /** Load options: threads (null: the engine's choice), context length, backend and GPU index. */
    public static List<SettingProblem> loading(Integer threads, int contextLength, String backend, int device) {
        List<SettingProblem> p = new ArrayList<>();
        if (threads != null) {
            attempt(p, "threads", () -> new ModelOptions(threads, 0, null));
        }
        attempt(p, "contextLength", () -> new ModelOptions(1, contextLength, null));
        attempt(p, "backend", () -> BackendChoice.parse(backend));
        attempt(p, "device", () -> new ModelOptions(1, 0, null, device));
        return p;
    }

    /** A chat template family: {@code plain}, or one the engine knows (null: from the model file). */
    public static List<SettingProblem> chatTemplate(String family) {
        List<SettingProblem> p = new ArrayList<>();
        if (family != null && !family.isBlank() && !family.trim().equalsIgnoreCase(PlainChatTemplate.FAMILY)) {
            attempt(p, "chatTemplate", () -> ChatTemplates.byFamily(family.trim().toLowerCase(java.util.Locale.ROOT)),
                    "; or '" + PlainChatTemplate.FAMILY + "' for base models");
        }
        return p;
    }

    /** The queue's two limits. */
    public static List<SettingProblem> queue(int maxConcurrent, int maxQueued) {
        List<SettingProblem> p = new ArrayList<>();
        attempt(p, "queue.maxConcurrent", () -> new QueueOptions(maxConcurrent, QueueOptions.DEFAULT_MAX_QUEUED));
        attempt(p, "queue.maxQueued", () -> new QueueOptions(QueueOptions.DEFAULT_MAX_CONCURRENT, maxQueued));
        return p;
    }

    /**
     * The KV cache settings, each alone over the defaults, then together (a budget must hold the
     * sink tokens and the recent window: that problem is the budget's; a prompt chunk must hold a
     * chunk: that problem is the prompt chunk's). Whether a limit in bytes per request
     * ({@code maxBytes}, 0 for none) holds what the policy needs depends on the model, which checks
     * it when it loads ({@code Model.checkKvCache}); {@code kvType} is how the CPU stores keys and
     * values ({@code f16} or {@code f32}).
     */
    public static List<SettingProblem> kvCache(String policy, double keptRatio, int budget, int chunkSize, int sinkTokens,
                                               int recentWindow, boolean sizeBias, String layerBudgets, boolean globalTopK,
                                               int promptChunk, long maxBytes, String kvType) {
        List<SettingProblem> p = new ArrayList<>();
        KvCacheConfig d = KvCacheConfig.defaults();
        attempt(p, "kvCache.maxBytes", () -> d.withMaxBytes(maxBytes));
        attempt(p, "kvCache.policy", () -> d.withPolicy(policy));
        attempt(p, "kvCache.keptRatio", () -> d.withKeptRatio(keptRatio));
        attempt(p, "kvCache.chunkSize", () -> d.withChunkSize(chunkSize));
        attempt(p, "kvCache.sinkTokens", () -> d.withSinkTokens(sinkTokens));
        attempt(p, "kvCache.recentWindow", () -> d.withRecentWindow(recentWindow));
        attempt(p, "kvCache.layerBudgets", () -> d.withLayerBudgets(layerBudgets));
        if (p.isEmpty()) {
            // a prompt chunk is checked against the chunk size, a budget against sinks and window
            attempt(p, "kvCache.promptChunk", () -> d.withChunkSize(chunkSize).withPromptChunk(promptChunk));
            attempt(p, "kvCache.budget", () -> new KvCacheConfig(policy, keptRatio, budget, chunkSize, sinkTokens, recentWindow,
                    sizeBias, layerBudgets, globalTopK));
        } else {
            attempt(p, "kvCache.budget", () -> d.withSinkTokens(0).withRecentWindow(0).withBudget(budget));
        }
        attempt(p, "kvCache.kvType", () -> d.withKvType(KvType.parse(kvType)));
        return p;
    }

    /** The prompt cache's bound and shortest prefix, by the engine's own checks. */
    public static List<SettingProblem> promptCache(long maxBytes, int minTokens) {
        List<SettingProblem> p = new ArrayList<>();
        attempt(p, "promptCache.maxBytes", () -> new PromptCache(maxBytes, PromptCacheOptions.DEFAULT_MIN_TOKENS).close());
        attempt(p, "promptCache.minTokens", () -> new PromptCache(PromptCacheOptions.DEFAULT_MAX_BYTES, minTokens).close());
        return p;
    }

    private static void attempt(List<SettingProblem> problems, String setting, Runnable check) {
        attempt(problems, setting, check, "");
    }

    private static void attempt(List<SettingProblem> problems, String setting, Runnable check, String hint) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            problems.add(new SettingProblem(setting, e.getMessage() + hint));
        }
    }
}
