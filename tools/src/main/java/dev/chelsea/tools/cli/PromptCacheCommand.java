package dev.chelsea.tools.cli;

import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Bytes;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.promptcache.PromptCache;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code prompt-cache}: time to first token of a follow-up question on a long document, with and
 * without the prompt cache. Per policy: the first question reads the document and stores it
 * (compressed at its end under a compressing policy), timed once; the second question is then
 * timed {@code --repetitions} times each way, from nothing (a new session reads document and
 * question) and from the cache (a copy of the stored document, then the question). Time to first token is a new session, its prefill and the
 * choice of the first token. The tokens are random: speed does not depend on them.
 */
final class PromptCacheCommand extends Command {
    @Override
    String name() {
        return "prompt-cache";
    }

    @Override
    String summary() {
        return "time to first token of a second question on a long document, with and without the prompt cache";
    }

    @Override
    String usage() {
        return """
                usage: bin/chelsea prompt-cache --model M.gguf [options]
                  --model M.gguf         the GGUF model file
                  --document-tokens N    tokens of the shared document (default 4096)
                  --question-tokens N    tokens of each question (default 32)
                  --repetitions N        timed runs of the second question each way; the mean is reported (default 3)
                  --kv P,...             KV policies to measure (default full,chelsea)
                """ + KV_USAGE.replace("  --kv POLICY        KV cache policy: full, chelsea, streaming, h2o, snapkv (default full)\n", "")
                + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        List<String> o = new ArrayList<>(List.of("model", "document-tokens", "question-tokens", "repetitions"));
        o.addAll(KV);
        return o;
    }

    @Override
    List<String> flagOptions() {
        return List.of("no-size-bias", "global-topk");
    }

    /**
     * @param firstSeconds  the first question with the cache: reading the document, storing it, reading the question (one run)
     * @param plainSeconds  the second question without a cache
     * @param cachedSeconds the second question from the cache
     * @param entryBytes    what the stored document holds
     * @param sameToken     whether both ways choose the same first token
     */
    record Result(String policy, double firstSeconds, double plainSeconds, double cachedSeconds, long entryBytes, boolean sameToken) {
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        int docTokens = a.integer("document-tokens", 4096);
        int questionTokens = a.integer("question-tokens", 32);
        int reps = a.integer("repetitions", 3);
        if (docTokens < 1 || questionTokens < 1 || reps < 1) {
            throw new UsageException("--document-tokens, --question-tokens and --repetitions must be at least 1");
        }
        List<KvCacheConfig> policies = new ArrayList<>();
        for (String p : a.string("kv", "full,chelsea").split(",")) {
            policies.add(kvConfig(a, p.trim()));
        }
        List<Result> results = new ArrayList<>();
        try (Model model = loadModel(a, docTokens + 2 * questionTokens + 1)) {
            SplittableRandom random = new SplittableRandom(42);
            int vocab = model.config().vocabSize();
            int[] document = random.ints(docTokens, 0, vocab).toArray();
            int[] q1 = concat(document, random.ints(questionTokens, 0, vocab).toArray());
            int[] q2 = concat(document, random.ints(questionTokens, 0, vocab).toArray());
            err.printf("model %s (%s), %d threads, %s backend; document %d tokens, questions %d tokens%n", model.name(),
                    model.architecture(), model.threads(), model.backendType().id(), docTokens, questionTokens);
            for (KvCacheConfig kv : policies) {
                // Warm-up: both code paths once, so that the JIT has compiled them before the timed runs.
                try (PromptCache warm = new PromptCache(Long.MAX_VALUE, 1)) {
                    int n = Math.min(docTokens, 256);
                    int[] w1 = concat(Arrays.copyOf(document, n), Arrays.copyOfRange(q1, docTokens, q1.length));
                    int[] w2 = concat(Arrays.copyOf(document, n), Arrays.copyOfRange(q2, docTokens, q2.length));
                    ttft(model, null, w1, n, kv);
                    ttft(model, warm, w1, n, kv);
                    ttft(model, warm, w2, n, kv);
                }
                double plain = 0, cached = 0;
                boolean same = true;
                try (PromptCache cache = new PromptCache(Long.MAX_VALUE, 1)) {
                    double first = ttft(model, cache, q1, docTokens, kv).seconds;
                    for (int r = 0; r < reps; r++) {
                        Timed p = ttft(model, null, q2, docTokens, kv);
                        Timed c = ttft(model, cache, q2, docTokens, kv);
                        if (c.cachedTokens != docTokens) {
                            throw new IllegalStateException("the second question did not start from the cached document");
                        }
                        plain += p.seconds / reps;
                        cached += c.seconds / reps;
                        same &= p.token == c.token;
                    }
                    results.add(new Result(kv.policy(), first, plain, cached, cache.stats().bytes(), same));
                }
            }
        }
        print(out, docTokens, questionTokens, results);
        return 0;
    }

    private record Timed(double seconds, int token, int cachedTokens) {
    }

    /** A new session, the prompt read (through {@code cache} unless it is null) and the first token chosen. */
    private static Timed ttft(Model model, PromptCache cache, int[] prompt, int prefix, KvCacheConfig kv) {
        long t0 = System.nanoTime();
        try (Session s = model.newSession(kv)) {
            float[] logits;
            int cached = 0;
            if (cache == null) {
                logits = s.prefill(prompt);
            } else {
                PromptCache.Prefill p = cache.prefill(s, prompt, prefix, kv);
                logits = p.logits();
                cached = p.cachedTokens();
            }
            int token = Ops.argmax(logits, 0, logits.length);
            return new Timed((System.nanoTime() - t0) / 1e9, token, cached);
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static void print(PrintStream out, int doc, int question, List<Result> results) {
        String h = "%-9s %16s %16s %16s %9s %11s %11s%n";
        out.printf(h, "kv", "1st q (stores) s", "2nd q, no cache s", "2nd q, cached s", "speed-up", "entry", "same token");
        for (Result r : results) {
            out.printf(Locale.ROOT, "%-9s %16.3f %16.3f %16.3f %8.1fx %11s %11s%n", r.policy(), r.firstSeconds(), r.plainSeconds(),
                    r.cachedSeconds(), r.plainSeconds() / r.cachedSeconds(), Bytes.human(r.entryBytes()), r.sameToken() ? "yes" : "no");
        }
        out.printf("(document %d tokens, questions %d tokens; time to first token: new session, prefill, first token)%n", doc, question);
    }
}
