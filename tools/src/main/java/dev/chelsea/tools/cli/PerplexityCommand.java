package dev.chelsea.tools.cli;

import dev.chelsea.engine.model.Bytes;
import dev.chelsea.tools.eval.EvalText;
import dev.chelsea.tools.eval.OnlinePerplexity;
import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.model.Model;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code perplexity}: teacher-forced perplexity with the KV cache compressed online as the text
 * grows (see {@link OnlinePerplexity}), per text and over all texts.
 */
final class PerplexityCommand extends Command {
    static final int DEFAULT_BATCH = 16;

    @Override
    String name() {
        return "perplexity";
    }

    @Override
    String summary() {
        return "teacher-forced perplexity with the KV cache compressed online as the text grows";
    }

    @Override
    String usage() {
        return """
                usage: bin/chelsea perplexity --model M.gguf (--file TEXT | --self-text N) [options]
                  --model M.gguf     the GGUF model file
                """ + EvalTexts.USAGE + """
                  --context N        tokens of each text to read (default: the model's context, at most 4096)
                  --batch B          tokens per forward step; the cache may compress after each (default 16; 1 = generation)
                  --json             print one JSON object instead of a table
                """ + KV_USAGE + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        List<String> o = new ArrayList<>(List.of("model", "context", "batch"));
        o.addAll(EvalTexts.OPTIONS);
        o.addAll(KV);
        return o;
    }

    @Override
    List<String> flagOptions() {
        return List.of("json", "no-size-bias", "global-topk");
    }

    record TextResult(String name, OnlinePerplexity.Result result) {
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        KvCacheConfig kv = kvConfig(a);
        int batch = batch(a);
        int context = a.integer("context", 0);
        try (Model model = loadModel(a, context)) {
            List<EvalText> texts = EvalTexts.load(a, model, model.contextLength());
            List<TextResult> results = new ArrayList<>();
            for (EvalText t : texts) {
                results.add(new TextResult(t.name(), OnlinePerplexity.run(model.newSession(kv), t.tokens(), batch)));
            }
            if (a.flag("json")) {
                out.println(json(model, kv, batch, results));
            } else {
                printTable(out, model, kv, batch, results);
            }
        }
        return 0;
    }

    static int batch(Args a) {
        int batch = a.integer("batch", DEFAULT_BATCH);
        if (batch < 1) {
            throw new UsageException("option --batch must be at least 1, got " + batch);
        }
        return batch;
    }

    /** Sums over texts: NLL and tokens add up; memory is the worst peak and token-weighted means. */
    record Total(double nll, long scored, long peakBytes, double finalBytes, double meanBytes, long fullBytes, long compressions,
                 double compressionMs, long nanos) {
        double perplexity() {
            return Math.exp(nll / scored);
        }

        static Total of(List<OnlinePerplexity.Result> rs) {
            double nll = 0, fin = 0, mean = 0, ms = 0;
            long scored = 0, peak = 0, full = 0, comp = 0, nanos = 0, tokens = 0;
            for (OnlinePerplexity.Result r : rs) {
                KvStats s = r.stats();
                nll += r.nll();
                scored += r.scored();
                peak = Math.max(peak, s.peakBytes());
                fin += s.totalBytes();
                mean += r.meanBytes() * (r.scored() + 1);
                tokens += r.scored() + 1;
                full = Math.max(full, s.uncompressedBytes());
                comp += s.compressions();
                ms += s.compressionNanos() / 1e6;
                nanos += r.nanos();
            }
            return new Total(nll, scored, peak, fin / rs.size(), mean / tokens, full, comp, ms, nanos);
        }
    }

    static String settings(KvCacheConfig kv) {
        if (kv.policy().equals("full")) {
            return "full";
        }
        return String.format(Locale.ROOT, "%s (%s, chunk %d, sinks %d, window %d%s%s%s)", kv.policy(),
                kv.budget() > 0 ? "budget " + kv.budget() : "kept " + kv.keptRatio(), kv.chunkSize(), kv.sinkTokens(),
                kv.recentWindow(), kv.sizeBias() ? "" : ", no size bias", kv.globalTopK() ? ", global top-k" : "",
                kv.layerBudgets().equals("uniform") ? "" : ", " + kv.layerBudgets() + " layers");
    }

    static String kvJson(KvCacheConfig kv) {
        return "\"kv_policy\": " + Json.quote(kv.policy()) + ", \"kept_ratio\": " + (kv.policy().equals("full") ? 1.0 : kv.keptRatio())
                + ", \"budget\": " + kv.budget() + ", \"chunk\": " + kv.chunkSize() + ", \"sinks\": " + kv.sinkTokens()
                + ", \"window\": " + kv.recentWindow() + ", \"size_bias\": " + kv.sizeBias() + ", \"global_topk\": " + kv.globalTopK()
                + ", \"layer_budgets\": " + Json.quote(kv.layerBudgets());
    }

    private static String json(Model model, KvCacheConfig kv, int batch, List<TextResult> results) {
        Total t = Total.of(results.stream().map(TextResult::result).toList());
        StringBuilder b = new StringBuilder();
        b.append("{\"model\": ").append(Json.quote(model.name())).append(", ").append(kvJson(kv))
                .append(", \"context\": ").append(model.contextLength()).append(", \"batch\": ").append(batch)
                .append(", \"threads\": ").append(model.threads())
                .append(String.format(Locale.ROOT, ", \"perplexity\": %.6f, \"nll\": %.6f, \"tokens\": %d", t.perplexity(), t.nll(), t.scored()))
                .append(", \"kv_bytes_peak\": ").append(t.peakBytes())
                .append(String.format(Locale.ROOT, ", \"kv_bytes_final\": %.0f, \"kv_bytes_mean\": %.0f", t.finalBytes(), t.meanBytes()))
                .append(", \"kv_bytes_full\": ").append(t.fullBytes()).append(", \"compressions\": ").append(t.compressions())
                .append(String.format(Locale.ROOT, ", \"compression_ms\": %.3f, \"seconds\": %.3f, \"tokens_per_s\": %.2f",
                        t.compressionMs(), t.nanos() / 1e9, (t.scored() + results.size()) * 1e9 / t.nanos()))
                .append(", \"texts\": [");
        for (int i = 0; i < results.size(); i++) {
            OnlinePerplexity.Result r = results.get(i).result();
            b.append(i == 0 ? "" : ", ").append("{\"name\": ").append(Json.quote(results.get(i).name()))
                    .append(String.format(Locale.ROOT, ", \"perplexity\": %.6f, \"tokens\": %d", r.perplexity(), r.scored()))
                    .append(", \"kv_bytes_peak\": ").append(r.stats().peakBytes())
                    .append(", \"compressions\": ").append(r.stats().compressions()).append('}');
        }
        return b.append("]}").toString();
    }

    private static void printTable(PrintStream out, Model model, KvCacheConfig kv, int batch, List<TextResult> results) {
        out.printf("model %s, kv %s, batch %d, context %d%n", model.path().getFileName(), settings(kv), batch, model.contextLength());
        String fmt = "%-24s %7s %11s %10s %10s %10s %10s %6s%n";
        out.printf(fmt, "text", "tokens", "perplexity", "KV peak", "KV final", "KV mean", "full KV", "comp.");
        for (TextResult tr : results) {
            row(out, tr.name(), Total.of(List.of(tr.result())));
        }
        if (results.size() > 1) {
            row(out, "all " + results.size() + " texts", Total.of(results.stream().map(TextResult::result).toList()));
        }
    }

    private static void row(PrintStream out, String name, Total t) {
        out.printf(Locale.ROOT, "%-24s %7d %11.4f %10s %10s %10s %10s %6d%n", name, t.scored(), t.perplexity(),
                Bytes.human(t.peakBytes()), Bytes.human((long) t.finalBytes()),
                Bytes.human((long) t.meanBytes()), Bytes.human(t.fullBytes()), t.compressions());
    }
}
