package dev.chelsea.tools.cli;

import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.model.Bytes;
import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.generate.Sampler;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.backend.cpu.CpuBackend;
import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.WarmUp;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code bench}: prefill and decode speed. Prefill is timed over {@code --prompt-tokens} random
 * tokens; decode over {@code --gen-tokens} steps after {@code --context-depth} tokens are in the
 * cache. Decode time includes the clustering that runs during decoding, which is also reported
 * per call; the compression at the end of the context prompt is reported apart, as it belongs to
 * the prompt, and so is the time it took to fill the context. Several policies or depths may be given; the first policy is the baseline of the
 * ratio column, measured in the same run.
 *
 * <p>The context is read once per depth: policies that do not score attention (full, chelsea,
 * streaming) receive a copy of its keys and values, which is exactly what reading it would give
 * them; h2o and snapkv, which need the prompt's attention, read it themselves.
 */
final class BenchCommand extends Command {
    /**
     * The JIT warm-up's limit. It usually settles in 15-20 s on two cores for a 1B model; timed
     * after the short warm-up alone, the first decode tokens still ran partly in the Vector API's
     * fallback: Q4_K_M decode 18-24 t/s against 29 after {@link WarmUp} in alternating runs, and
     * prefill 75-99 against 118 t/s (AMD EPYC, 2 threads, 2026-12-05). llama-bench warms up too.
     */
    static final int DEFAULT_WARM_UP_SECONDS = 60;
    /**
     * The least context loaded (unless {@code --context} says otherwise), so that the warm-up is the
     * one a service with a usual context gets: {@link WarmUp} prefills shorter prompts in a shorter
     * context, and how C2 compiles a kernel depends on what ran before. Measured with a Q4_K kernel
     * for four vectors that was then not kept: after the warm-up of a 33-token context (what
     * {@code --prompt-tokens 32 --gen-tokens 16} needs) a 16-token Q4_K_M prompt took 234-320 ms in
     * 12 JVMs of 13, against about 180 after the warm-up of a 4096-token one, its compiled code
     * calling Vector API fallbacks (AMD EPYC Zen 4, 2026-12-05; docs/performance.md). The kernels
     * kept took 191-201 ms after the first warm-up and 202-209 after the second.
     */
    static final int MIN_CONTEXT = 256;

    @Override
    String name() {
        return "bench";
    }

    @Override
    String summary() {
        return "measure prefill and decode tokens/s (optionally at a context depth, per KV policy)";
    }

    @Override
    String usage() {
        return """
                usage: bin/chelsea bench --model M.gguf [options]
                  --model M.gguf         the GGUF model file
                  --prompt-tokens N      prompt tokens for the prefill test (default 256)
                  --gen-tokens N         tokens for the decode test (default 64, or enough for two
                                         decode-time compressions of every compressing policy)
                  --context-depth D,...  tokens already in the cache before decoding (default 0)
                  --repetitions N        timed runs per test; the mean is reported, with the standard
                                         deviation when N > 1 (default 1)
                  --warm-up S            before timing, run the forward pass until the JIT has compiled
                                         it (its times stop improving), at most about S seconds
                                         (default %d; 0: one short prompt and 32 steps only)
                  --kv P,...             KV policies to compare; the first is the baseline (default full)
                  --json                 print one JSON object per result line instead of a table
                """.formatted(DEFAULT_WARM_UP_SECONDS) + KV_USAGE.replace("  --kv POLICY        KV cache policy: full, chelsea, streaming, h2o, snapkv (default full)\n", "")
                + PROMPT_CHUNK_USAGE + """
                  With --prompt-chunk every policy reads the context itself in compressed pieces ("fill peak" is
                  then its most KV bytes while reading); without, the context is read once and copied.
                """ + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        List<String> o = new ArrayList<>(List.of("model", "prompt-tokens", "gen-tokens", "context-depth", "repetitions", "warm-up", "context"));
        o.addAll(KV);
        o.add(PROMPT_CHUNK);
        return o;
    }

    @Override
    List<String> flagOptions() {
        return List.of("json", "no-size-bias", "global-topk");
    }

    /**
     * @param fillSeconds          putting the context into the cache: reading it (once per depth, shared
     *                             by the policies that copy it) or, for h2o and snapkv, their own prefill
     * @param kvBytes              bytes held after decoding
     * @param kvPeakBytes          most bytes held after a decode step (the context before its compression is not counted)
     * @param fillPeakBytes        most bytes held while the context was put into the cache: the whole context,
     *                             unless the policy reads it in compressed pieces ({@code --prompt-chunk})
     * @param prefillCompressionMs the compression at the end of the context prompt
     * @param compressions         compressions during decoding (included in the decode time)
     * @param compressionMsPerCall their mean duration
     * @param compressionShare     the fraction of the decode time they took
     * @param prefillSamples       prefill tokens/s of each repetition ({@code prefillTps} is their mean)
     * @param decodeSamples        decode tokens/s of each repetition ({@code decodeTps} is their mean)
     */
    record Result(String policy, int depth, double fillSeconds, double prefillTps, double decodeTps, long kvBytes, long kvPeakBytes,
                  long fillPeakBytes, double prefillCompressionMs, long compressions, double compressionMsPerCall, double compressionShare, double ratio,
                  double[] prefillSamples, double[] decodeSamples) {
    }

    /** The samples' standard deviation (n - 1 in the denominator, as llama-bench's); 0 for fewer than two. */
    static double stddev(double[] samples) {
        if (samples.length < 2) {
            return 0;
        }
        double mean = Arrays.stream(samples).average().orElse(0);
        double squares = 0;
        for (double v : samples) {
            squares += (v - mean) * (v - mean);
        }
        return Math.sqrt(squares / (samples.length - 1));
    }

    /** Tokens between two decode-time compressions of a policy in steady state (0: it never compresses during decoding). */
    static int compressionCycle(KvCacheConfig kv) {
        int slack = switch (kv.policy()) {
            case "chelsea", "snapkv" -> kv.chunkSize();
            case "streaming", "h2o" -> 0;
            default -> -1;
        };
        if (slack < 0 || (kv.budget() == 0 && kv.keptRatio() >= 1)) {
            return 0;
        }
        // The cache grows by one slot a token while a ratio budget grows by the ratio.
        double growth = kv.budget() > 0 ? 1 : 1 - kv.keptRatio();
        return (int) Math.ceil((slack + 1) / growth);
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        int promptTokens = a.integer("prompt-tokens", 256);
        int reps = a.integer("repetitions", 1);
        int warmUpSeconds = a.integer("warm-up", DEFAULT_WARM_UP_SECONDS);
        if (warmUpSeconds < 0) {
            throw new UsageException("option --warm-up must not be negative, got " + warmUpSeconds);
        }
        int[] depths = LogitsCommand.parseInts(a.string("context-depth", "0"), "context-depth");
        int maxDepth = 0;
        for (int d : depths) {
            if (d < 0) {
                throw new UsageException("option --context-depth must not be negative, got " + d);
            }
            maxDepth = Math.max(maxDepth, d);
        }
        List<KvCacheConfig> policies = new ArrayList<>();
        int cycle = 0;
        for (String p : a.string("kv", "full").split(",")) {
            KvCacheConfig kv = kvConfig(a, p.trim());
            policies.add(kv);
            cycle = Math.max(cycle, compressionCycle(kv));
        }
        // Two whole cycles, so that the decode time carries the clustering at its real rate.
        int genTokens = a.integer("gen-tokens", Math.max(64, 2 * cycle));
        if (promptTokens < 1 || genTokens < 1 || reps < 1) {
            throw new UsageException("--prompt-tokens, --gen-tokens and --repetitions must be at least 1");
        }
        int ctx = a.integer("context", Math.max(MIN_CONTEXT, Math.max(promptTokens, maxDepth + genTokens) + 1));
        List<Result> results = new ArrayList<>();
        try (Model model = loadModel(a, ctx)) {
            int vocab = model.config().vocabSize();
            SplittableRandom random = new SplittableRandom(42);
            int[] prompt = randomTokens(random, promptTokens, vocab);
            int[] fill = randomTokens(random, Math.max(1, maxDepth), vocab);
            err.printf("model %s (%s), %d threads, weights %s, keys and values in %s, %d decode tokens per test%n", model.name(),
                    model.architecture(), model.threads(), Bytes.human(model.weightBytes()), policies.getFirst().kvType().label(), genTokens);
            if (warmUpSeconds > 0) {
                WarmUp.Report warm = WarmUp.run(model, Duration.ofSeconds(warmUpSeconds));
                err.printf("warm-up: %d prefills and %d decode steps in %.1f s%s%n", warm.prefills(), warm.decodeSteps(), warm.spent().toMillis() / 1e3,
                        warm.allocationText() + (warm.kernelsInFallback() ? " (kernels in the Vector API's fallback: this run is not representative)" : ""));
            }
            for (KvCacheConfig kv : policies) {
                warmUp(model, kv, prompt);
            }
            double[][] prefill = new double[policies.size()][reps];
            for (int pi = 0; pi < policies.size(); pi++) {
                for (int r = 0; r < reps; r++) {
                    try (Session s = model.newSession(policies.get(pi))) {
                        long t0 = System.nanoTime();
                        s.prefill(prompt);
                        prefill[pi][r] = promptTokens * 1e9 / (System.nanoTime() - t0);
                    }
                }
            }
            for (int depth : depths) {
                // The context is read once, into a full cache of the run's KV type, and copied into each policy's cache.
                Session context = model.newSession(KvCacheConfig.full().withKvType(policies.get(0).kvType()));
                long f0 = System.nanoTime();
                float[] contextLogits = depth > 0 ? context.feed(fill, 0, depth) : null;
                double contextSeconds = (System.nanoTime() - f0) / 1e9;
                double baseline = 0;
                for (int pi = 0; pi < policies.size(); pi++) {
                    KvCacheConfig kv = policies.get(pi);
                    double fillSeconds = 0, prefillCompMs = 0, compMs = 0, share = 0;
                    double[] decodeSamples = new double[reps];
                    long comps = 0, decodePeak = 0, fillPeak = 0;
                    KvStats last = null;
                    for (int r = 0; r < reps; r++) {
                        Session s = model.newSession(kv);
                        float[] logits = contextLogits;
                        // h2o and snapkv score the prompt's attention, and a chunked prompt or one under a limit
                        // in bytes compresses as it is read: those read the context themselves instead of
                        // copying the full cache's
                        if (depth > 0 && (readsAttention(kv) || kv.promptChunk() > 0 || kv.maxBytes() > 0)) {
                            long p0 = System.nanoTime();
                            logits = s.prefill(Arrays.copyOf(fill, depth));
                            fillSeconds += (System.nanoTime() - p0) / 1e9 / reps;
                        } else {
                            context.cache().copyPromptTo(s.cache());
                            // Ends the prompt even when it is empty: decode-time compression waits for that.
                            s.cache().endPrefill();
                            fillSeconds = contextSeconds;
                        }
                        KvStats before = s.cache().stats();
                        fillPeak = Math.max(fillPeak, before.peakBytes());
                        int token = logits == null ? prompt[0] : Ops.argmax(logits, 0, logits.length);
                        long peak = 0;
                        long t0 = System.nanoTime();
                        for (int i = 0; i < genTokens; i++) {
                            token = s.decodeGreedy(token);
                            peak = Math.max(peak, s.cache().stats().totalBytes());
                        }
                        long nanos = System.nanoTime() - t0;
                        last = s.cache().stats();
                        s.close();
                        decodePeak = Math.max(decodePeak, peak);
                        long compNanos = last.compressionNanos() - before.compressionNanos();
                        decodeSamples[r] = genTokens * 1e9 / nanos;
                        prefillCompMs += before.compressionNanos() / 1e6 / reps;
                        comps += last.compressions() - before.compressions();
                        compMs += compNanos / 1e6;
                        share += (double) compNanos / nanos / reps;
                    }
                    double decode = Arrays.stream(decodeSamples).average().orElseThrow();
                    if (pi == 0) {
                        baseline = decode;
                    }
                    Result res = new Result(kv.policy(), depth, fillSeconds, Arrays.stream(prefill[pi]).average().orElseThrow(), decode,
                            last.totalBytes(), decodePeak, fillPeak, prefillCompMs, comps / reps, comps == 0 ? 0 : compMs / comps, share,
                            decode / baseline, prefill[pi], decodeSamples);
                    results.add(res);
                    if (comps == 0 && compressionCycle(kv) > 0 && kv.keptRatio() * (depth + genTokens) > kv.sinkTokens() + kv.recentWindow()) {
                        err.printf("note: %s did not compress during the %d decode tokens at depth %d; its clustering cost is not in "
                                + "the decode figure (use --gen-tokens %d or more)%n", kv.policy(), genTokens, depth, 2 * compressionCycle(kv));
                    }
                    if (a.flag("json")) {
                        out.println(json(model, kv, promptTokens, genTokens, res));
                    }
                }
                context.close();
            }
            if (!a.flag("json")) {
                printTable(out, promptTokens, genTokens, results, policies.getFirst().policy());
            }
        }
        return 0;
    }

    /** Policies whose state after a prompt depends on the prompt's attention, not only its keys and values. */
    private static boolean readsAttention(KvCacheConfig kv) {
        return kv.policy().equals("h2o") || kv.policy().equals("snapkv");
    }

    /**
     * Runs each code path the timed tests take, so that the JIT has compiled them first: the
     * forward pass on the model, then the policy's compression on caches of the model's shape
     * filled with random keys and values, until its cost settles. Without the second part the
     * first compressions of a small model run interpreted and cost a hundred times their real
     * price.
     */
    private static void warmUp(Model model, KvCacheConfig kv, int[] prompt) {
        int n = Math.min(64, Math.min(prompt.length, model.contextLength() - 48));
        if (n >= 1) {
            try (Session s = model.newSession(kv)) {
                int token = Ops.argmax(s.prefill(Arrays.copyOf(prompt, n)), 0, model.config().vocabSize());
                for (int i = 0; i < 32 && s.position() < model.contextLength(); i++) {
                    token = s.decodeGreedy(token);
                }
            }
        }
        if (compressionCycle(kv) == 0) {
            return;
        }
        // a cache of random keys filled at once, without a limit in bytes (the timed runs keep theirs)
        KvCacheConfig small = kv.withMaxBytes(0).withBudget(0).withRecentWindow(Math.min(kv.recentWindow(), 32)).withChunkSize(Math.min(kv.chunkSize(), 16))
                .withKeptRatio(Math.min(kv.keptRatio(), 0.5));
        KvLayout layout = model.kvLayout();
        int tokens = 512, steps = 96, row = layout.rowFloats(), heads = model.config().heads();
        SplittableRandom random = new SplittableRandom(7);
        float[] k = new float[tokens * row], v = new float[tokens * row];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) random.nextDouble(-1, 1);
            v[i] = (float) random.nextDouble(-1, 1);
        }
        float[] q = new float[heads * layout.headDim()], out = new float[q.length];
        long deadline = System.nanoTime() + 3_000_000_000L;
        try (Parallel parallel = new Parallel(1)) {
            for (int round = 0; round < 16 && System.nanoTime() < deadline; round++) {
                KvCache<CpuKvStore> c = CpuBackend.newCache(small, layout, tokens + steps, parallel);
                for (int l = 0; l < layout.layers(); l++) {
                    c.store().append(l, k, v, tokens);
                }
                c.commit(tokens);
                c.endPrefill();
                for (int t = 0; t < steps; t++) {
                    for (int l = 0; l < layout.layers(); l++) {
                        c.store().append(l, k, v, 1);
                        c.store().attend(l, q, 1, heads, out);
                    }
                    c.commit(1);
                }
            }
        }
    }

    private static int[] randomTokens(SplittableRandom r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    private static String json(Model model, KvCacheConfig kv, int pp, int tg, Result r) {
        return "{\"model\": " + Json.quote(model.name()) + ", \"architecture\": " + Json.quote(model.architecture())
                + ", \"threads\": " + model.threads() + ", \"kv_policy\": " + Json.quote(r.policy())
                + ", \"kept_ratio\": " + (kv.policy().equals("full") ? 1.0 : kv.keptRatio()) + ", \"chunk\": " + kv.chunkSize()
                + ", \"sinks\": " + kv.sinkTokens() + ", \"window\": " + kv.recentWindow()
                + ", \"prompt_tokens\": " + pp + ", \"gen_tokens\": " + tg + ", \"context_depth\": " + r.depth()
                + String.format(Locale.ROOT, ", \"context_fill_s\": %.3f", r.fillSeconds())
                + String.format(Locale.ROOT, ", \"prefill_tokens_per_s\": %.3f, \"decode_tokens_per_s\": %.3f", r.prefillTps(), r.decodeTps())
                + String.format(Locale.ROOT, ", \"prefill_tokens_per_s_stddev\": %.3f, \"decode_tokens_per_s_stddev\": %.3f",
                        stddev(r.prefillSamples()), stddev(r.decodeSamples()))
                + ", \"prefill_samples\": " + samples(r.prefillSamples()) + ", \"decode_samples\": " + samples(r.decodeSamples())
                + ", \"kv_bytes\": " + r.kvBytes() + ", \"kv_bytes_peak\": " + r.kvPeakBytes() + ", \"fill_kv_bytes_peak\": " + r.fillPeakBytes()
                + ", \"prompt_chunk\": " + kv.promptChunk()
                + String.format(Locale.ROOT, ", \"prefill_compression_ms\": %.3f", r.prefillCompressionMs())
                + ", \"compressions\": " + r.compressions()
                + String.format(Locale.ROOT, ", \"compression_ms_per_call\": %.3f, \"compression_share_of_decode\": %.4f"
                + ", \"decode_ratio_vs_baseline\": %.3f}", r.compressionMsPerCall(), r.compressionShare(), r.ratio());
    }

    /** Each repetition's figure, to three decimals as the other fields. */
    private static String samples(double[] v) {
        return Json.write(Arrays.stream(v).map(x -> Math.round(x * 1000) / 1000.0).boxed().toList());
    }

    /** A mean, with its standard deviation when there were several repetitions (as llama-bench prints them). */
    private static String spread(double mean, double[] samples) {
        return samples.length < 2 ? String.format(Locale.ROOT, "%.2f", mean)
                : String.format(Locale.ROOT, "%.2f ± %.2f", mean, stddev(samples));
    }

    private static void printTable(PrintStream out, int pp, int tg, List<Result> results, String baseline) {
        String h = "%-10s %7s %9s %11s %17s %17s %11s %11s %11s %6s %10s %7s %9s%n";
        out.printf(h, "kv", "depth", "fill s", "fill peak", "pp" + pp + " t/s", "tg" + tg + " t/s", "KV bytes", "KV peak", "prompt cl.", "calls",
                "ms/call", "share", "vs " + baseline);
        for (Result r : results) {
            boolean none = r.compressions() == 0;
            out.printf(Locale.ROOT, "%-10s %7d %9.1f %11s %17s %17s %11s %11s %11s %6d %10s %6.1f%% %8.2fx%n", r.policy(), r.depth(),
                    r.fillSeconds(), r.depth() == 0 ? "-" : Bytes.human(r.fillPeakBytes()), spread(r.prefillTps(), r.prefillSamples()),
                    spread(r.decodeTps(), r.decodeSamples()),
                    Bytes.human(r.kvBytes()), Bytes.human(r.kvPeakBytes()),
                    r.prefillCompressionMs() == 0 ? "-" : String.format(Locale.ROOT, "%.1f ms", r.prefillCompressionMs()), r.compressions(),
                    none ? "-" : String.format(Locale.ROOT, "%.3f", r.compressionMsPerCall()), 100 * r.compressionShare(), r.ratio());
        }
    }
}
