package dev.chelsea.engine.cli;

import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.generate.Session;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.model.Model;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code bench}: prefill and decode speed. Prefill is timed over {@code --prompt-tokens} random
 * tokens; decode over {@code --gen-tokens} steps after {@code --context-depth} tokens are in the
 * cache (compression, when the policy compresses, is included in the decode time and also reported
 * on its own). Several policies or depths may be given; the first policy is the baseline of the
 * ratio column, measured in the same run.
 */
final class BenchCommand extends Command {
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
                  --gen-tokens N         tokens for the decode test (default 64)
                  --context-depth D,...  tokens already in the cache before decoding (default 0)
                  --repetitions N        timed runs per test; the mean is reported (default 1)
                  --kv P,...             KV policies to compare; the first is the baseline (default full)
                  --json                 print one JSON object per result line instead of a table
                """ + KV_USAGE.replace("  --kv POLICY        KV cache policy: full, chelsea, streaming, h2o, snapkv (default full)\n", "")
                + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        List<String> o = new ArrayList<>(List.of("model", "prompt-tokens", "gen-tokens", "context-depth", "repetitions", "context"));
        o.addAll(KV);
        return o;
    }

    @Override
    List<String> flagOptions() {
        return List.of("json", "no-size-bias", "global-topk");
    }

    record Result(String policy, int depth, double prefillTps, double decodeTps, long kvBytes, long compressions,
                  double compressionMsPerCall, double ratio) {
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        int promptTokens = a.integer("prompt-tokens", 256);
        int genTokens = a.integer("gen-tokens", 64);
        int reps = a.integer("repetitions", 1);
        if (promptTokens < 1 || genTokens < 1 || reps < 1) {
            throw new UsageException("--prompt-tokens, --gen-tokens and --repetitions must be at least 1");
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
        for (String p : a.string("kv", "full").split(",")) {
            policies.add(kvConfig(a, p.trim()));
        }
        int ctx = a.integer("context", Math.max(promptTokens, maxDepth + genTokens) + 1);
        List<Result> results = new ArrayList<>();
        try (Model model = loadModel(a, ctx)) {
            int vocab = model.config().vocabSize();
            SplittableRandom random = new SplittableRandom(42);
            int[] prompt = randomTokens(random, promptTokens, vocab);
            int[] fill = randomTokens(random, Math.max(1, maxDepth), vocab);
            err.printf("model %s (%s), %d threads, weights %s%n", model.name(), model.architecture(), model.threads(),
                    GenerationStats.humanBytes(model.weightBytes()));
            // Warm-up so that the JIT has compiled the kernels before anything is timed.
            Session warm = model.newSession(KvCacheConfig.full());
            warm.prefill(java.util.Arrays.copyOf(prompt, Math.min(prompt.length, 64)));
            for (int i = 0; i < 8 && warm.position() < ctx; i++) {
                warm.decode(prompt[i % prompt.length]);
            }
            double[] baseline = new double[depths.length];
            for (int pi = 0; pi < policies.size(); pi++) {
                KvCacheConfig kv = policies.get(pi);
                double prefill = 0;
                for (int r = 0; r < reps; r++) {
                    Session s = model.newSession(kv);
                    long t0 = System.nanoTime();
                    s.prefill(prompt);
                    prefill += promptTokens * 1e9 / (System.nanoTime() - t0);
                }
                prefill /= reps;
                for (int di = 0; di < depths.length; di++) {
                    int depth = depths[di];
                    double decode = 0;
                    KvStats last = null;
                    for (int r = 0; r < reps; r++) {
                        Session s = model.newSession(kv);
                        float[] logits = depth > 0 ? s.prefill(java.util.Arrays.copyOf(fill, depth)) : null;
                        int token = logits == null ? prompt[0] : argmax(logits);
                        long t0 = System.nanoTime();
                        for (int i = 0; i < genTokens; i++) {
                            logits = s.decode(token);
                            token = argmax(logits);
                        }
                        decode += genTokens * 1e9 / (System.nanoTime() - t0);
                        last = s.cache().stats();
                    }
                    decode /= reps;
                    if (pi == 0) {
                        baseline[di] = decode;
                    }
                    double msPerCall = last.compressions() == 0 ? 0 : last.compressionNanos() / 1e6 / last.compressions();
                    Result res = new Result(kv.policy(), depth, prefill, decode, last.totalBytes(), last.compressions(), msPerCall,
                            decode / baseline[di]);
                    results.add(res);
                    if (a.flag("json")) {
                        out.println(json(model, kv, promptTokens, genTokens, res));
                    }
                }
            }
            if (!a.flag("json")) {
                printTable(out, model, promptTokens, genTokens, results, policies.getFirst().policy());
            }
        }
        return 0;
    }

    private static int[] randomTokens(SplittableRandom r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    private static String json(Model model, KvCacheConfig kv, int pp, int tg, Result r) {
        return "{\"model\": " + Json.quote(model.name()) + ", \"architecture\": " + Json.quote(model.architecture())
                + ", \"threads\": " + model.threads() + ", \"kv_policy\": " + Json.quote(r.policy())
                + ", \"kept_ratio\": " + (kv.policy().equals("full") ? 1.0 : kv.keptRatio())
                + ", \"prompt_tokens\": " + pp + ", \"gen_tokens\": " + tg + ", \"context_depth\": " + r.depth()
                + String.format(java.util.Locale.ROOT, ", \"prefill_tokens_per_s\": %.3f, \"decode_tokens_per_s\": %.3f", r.prefillTps(), r.decodeTps())
                + ", \"kv_bytes\": " + r.kvBytes() + ", \"compressions\": " + r.compressions()
                + String.format(java.util.Locale.ROOT, ", \"compression_ms_per_call\": %.3f, \"decode_ratio_vs_baseline\": %.3f}",
                r.compressionMsPerCall(), r.ratio());
    }

    private static void printTable(PrintStream out, Model model, int pp, int tg, List<Result> results, String baseline) {
        out.printf("%-10s %7s %14s %14s %12s %12s %10s%n", "kv", "depth", "pp" + pp + " t/s", "tg" + tg + " t/s", "KV bytes",
                "cluster ms", "vs " + baseline);
        for (Result r : results) {
            out.printf(java.util.Locale.ROOT, "%-10s %7d %14.2f %14.2f %12s %12s %9.2fx%n", r.policy(), r.depth(), r.prefillTps(),
                    r.decodeTps(), GenerationStats.humanBytes(r.kvBytes()),
                    r.compressions() == 0 ? "-" : String.format(java.util.Locale.ROOT, "%.2f", r.compressionMsPerCall()), r.ratio());
        }
    }
}
