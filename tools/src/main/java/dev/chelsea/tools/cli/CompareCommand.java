package dev.chelsea.tools.cli;

import dev.chelsea.engine.model.Bytes;
import dev.chelsea.tools.eval.EvalText;
import dev.chelsea.tools.eval.MemoryCalibration;
import dev.chelsea.tools.eval.PolicyComparison;
import dev.chelsea.tools.eval.PolicyScore;
import dev.chelsea.tools.eval.QualityPlot;
import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.model.Model;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code compare}: every policy at the same memory, against the full cache, on the same texts.
 * Each text is read teacher-forced with online compression (perplexity, top-1 agreement with the
 * full cache's predictions, attention error), then continued greedily for {@code --next} tokens
 * (greedy agreement with the full cache's continuation, decode speed).
 */
final class CompareCommand extends Command {
    static final String DEFAULT_POLICIES = "chelsea,streaming,h2o,snapkv";
    static final String DEFAULT_RATIOS = "0.5,0.25,0.2";

    @Override
    String name() {
        return "compare";
    }

    @Override
    String summary() {
        return "every KV policy at the same memory against the full cache: perplexity, agreement, attention error, bytes, speed";
    }

    @Override
    String usage() {
        return """
                usage: bin/chelsea compare --model M.gguf (--file TEXT | --self-text N) [options]
                  --model M.gguf     the GGUF model file
                """ + EvalTexts.USAGE + """
                  --context N        context length: each text is read up to N - next + 1 tokens, then continued (default: the model's, at most 4096)
                  --next N           greedy tokens generated after each text (default 32)
                  --ratios R,...     kept ratios to compare at (default 0.5,0.25,0.2)
                  --kv P,...         policies besides full (default chelsea,streaming,h2o,snapkv)
                  --batch B          tokens per forward step while reading (default 16; 1 = generation)
                  --match-memory     give each policy the largest kept ratio at which neither its peak nor its mean
                                     KV bytes exceed streaming's at the nominal ratio (slack over the budget,
                                     rounding and per-slot bookkeeping differ by policy)
                  --plot OUT.png     draw perplexity and greedy agreement against KV memory
                  --json             print one JSON object instead of a table
                  --chunk C          Chelsea chunk size (default 64)
                  --sinks S          protected leading tokens (default 4)
                  --window W         protected recent tokens (default 64)
                  --no-size-bias     turn off the log(size) degree correction (ablation)
                  --layer-budgets L  uniform or pyramid (default uniform)
                  --global-topk      Chelsea: rank merges across chunks instead of the same number per chunk
                  --kv-type T        the policies' keys and values in f32 or f16 (the full cache stays f32) (default f16)
                """ + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        List<String> o = new ArrayList<>(List.of("model", "context", "next", "ratios", "kv", "batch", "plot", "chunk", "sinks", "window",
                "layer-budgets", "kv-type"));
        o.addAll(EvalTexts.OPTIONS);
        return o;
    }

    @Override
    List<String> flagOptions() {
        return List.of("json", "no-size-bias", "global-topk", "match-memory");
    }

    /** One row: a policy at a nominal kept ratio; {@code overMemory} when it could not be brought down to the matched memory. */
    record Row(double target, PolicyScore score, boolean overMemory) {
        String policy() {
            return score.config().policy();
        }
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        int next = a.integer("next", 32);
        if (next < 1) {
            throw new UsageException("option --next must be at least 1, got " + next);
        }
        int batch = PerplexityCommand.batch(a);
        double[] ratios = ratios(a.string("ratios", DEFAULT_RATIOS));
        List<String> policies = new ArrayList<>();
        for (String p : a.string("kv", DEFAULT_POLICIES).split(",")) {
            String name = p.trim();
            if (!name.equals("full") && !policies.contains(name)) {
                kvConfig(a, name);
                policies.add(name);
            }
        }
        boolean match = a.flag("match-memory");
        Path plot = a.has("plot") ? Path.of(a.string("plot", "")) : null;
        try (Model model = loadModel(a, a.integer("context", 0))) {
            int ctx = model.contextLength();
            if (ctx - next + 1 < 2) {
                throw new UsageException("--next " + next + " leaves no room to read text in a context of " + ctx);
            }
            List<EvalText> texts = EvalTexts.load(a, model, ctx - next + 1);
            PolicyComparison comparison = new PolicyComparison(model, texts, batch, next);
            int total = 1 + ratios.length * policies.size();
            List<Row> rows = new ArrayList<>();
            rows.add(new Row(1.0, comparison.full(), false));
            err.printf("compare: full done (1 of %d)%n", total);
            KvLayout layout = model.kvLayout();
            int longest = comparison.longestText();
            for (double ratio : ratios) {
                MemoryCalibration.Usage target = match
                        ? MemoryCalibration.usage(kvConfig(a, "streaming").withKeptRatio(ratio), layout, longest, batch, next - 1) : null;
                for (String p : policies) {
                    KvCacheConfig kv = kvConfig(a, p).withKeptRatio(ratio);
                    boolean over = false;
                    if (match && !p.equals("streaming")) {
                        kv = kv.withKeptRatio(MemoryCalibration.matchRatio(kv, layout, longest, batch, next - 1, target));
                        over = !MemoryCalibration.usage(kv, layout, longest, batch, next - 1).within(target);
                        if (over) {
                            err.printf(Locale.ROOT, "compare: %s cannot get down to streaming's memory at %.2f even at its smallest budget"
                                    + " (sinks + window, plus its slack); its row uses more (marked *)%n", p, ratio);
                        }
                    }
                    rows.add(new Row(ratio, comparison.score(kv), over));
                    err.printf(Locale.ROOT, "compare: %s at %.2f (kept ratio %.4f) done (%d of %d)%n", p, ratio, kv.keptRatio(), rows.size(),
                            total);
                }
            }
            KvCacheConfig shown = kvConfig(a, "chelsea");
            if (a.flag("json")) {
                out.println(json(model, shown, batch, next, texts, rows));
            } else {
                printTable(out, model, shown, batch, next, texts, rows);
            }
            if (plot != null) {
                boolean labelled = QualityPlot.write(plot, model.path().getFileName() + ": quality against KV memory (" + texts.size() + " texts, "
                        + (match ? "memory matched to streaming, " : "")
                        + PerplexityCommand.settings(shown).replaceFirst("^chelsea \\(kept [0-9.]+, ", "").replace(")", "") + ")",
                        "KV memory held, fraction of the full cache (mean over the text)", panels(rows, policies));
                err.println("plot written to " + plot + (labelled ? "" : " (without text: this JDK has no usable fonts)"));
            }
        }
        return 0;
    }

    static double[] ratios(String s) {
        String[] parts = s.split(",");
        double[] r = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                r[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("option --ratios: '" + parts[i] + "' is not a number");
            }
            if (!(r[i] > 0 && r[i] <= 1)) {
                throw new UsageException("option --ratios: kept ratios must be in (0, 1], got " + parts[i].trim());
            }
        }
        return r;
    }

    private static List<QualityPlot.Panel> panels(List<Row> rows, List<String> policies) {
        PolicyScore full = rows.getFirst().score();
        List<QualityPlot.Series> ppl = new ArrayList<>(), agree = new ArrayList<>();
        for (String p : policies) {
            List<PolicyScore> mine = rows.stream().filter(r -> r.policy().equals(p)).map(Row::score)
                    .sorted((x, y) -> Double.compare(x.meanBytes(), y.meanBytes())).toList();
            double[] x = new double[mine.size()], y1 = new double[mine.size()], y2 = new double[mine.size()];
            for (int i = 0; i < mine.size(); i++) {
                x[i] = mine.get(i).meanBytes() / full.meanBytes();
                y1[i] = mine.get(i).perplexity();
                y2[i] = mine.get(i).greedyAgreement();
            }
            ppl.add(new QualityPlot.Series(p, x, y1));
            agree.add(new QualityPlot.Series(p, x, y2));
        }
        return List.of(new QualityPlot.Panel("perplexity (lower is better)", ppl, full.perplexity()),
                new QualityPlot.Panel("greedy agreement with the full cache", agree, 1.0, 0.0, 1.0));
    }

    private static String json(Model model, KvCacheConfig shown, int batch, int next, List<EvalText> texts, List<Row> rows) {
        PolicyScore full = rows.getFirst().score();
        StringBuilder b = new StringBuilder();
        b.append("{\"model\": ").append(Json.quote(model.name())).append(", \"context\": ").append(model.contextLength())
                .append(", \"next\": ").append(next).append(", \"batch\": ").append(batch).append(", \"threads\": ").append(model.threads())
                .append(", \"texts\": [");
        for (int i = 0; i < texts.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(Json.quote(texts.get(i).name()));
        }
        b.append("], \"chunk\": ").append(shown.chunkSize()).append(", \"sinks\": ").append(shown.sinkTokens())
                .append(", \"window\": ").append(shown.recentWindow()).append(", \"size_bias\": ").append(shown.sizeBias())
                .append(", \"global_topk\": ").append(shown.globalTopK()).append(", \"layer_budgets\": ").append(Json.quote(shown.layerBudgets()))
                .append(", \"rows\": [");
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            PolicyScore r = row.score();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("policy", Json.quote(row.policy()));
            m.put("target_ratio", row.target());
            m.put("kept_ratio", r.keptRatio());
            m.put("over_memory", row.overMemory());
            m.put("perplexity", fmt(r.perplexity()));
            m.put("tokens", r.scoredTokens());
            m.put("perplexity_by_quarter", quarters(r::perplexity));
            m.put("top1_agreement", fmt(r.top1Agreement()));
            m.put("top1_agreement_by_quarter", quarters(r::top1Agreement));
            m.put("greedy_agreement", fmt(r.greedyAgreement()));
            m.put("greedy_common_prefix", fmt(r.greedyCommonPrefix()));
            m.put("attention_rel_error", fmt(r.attentionError()));
            m.put("kv_bytes_peak", r.peakBytes());
            m.put("kv_bytes_final", Math.round(r.finalBytes()));
            m.put("kv_bytes_mean", Math.round(r.meanBytes()));
            m.put("kv_fraction", fmt(r.meanBytes() / full.meanBytes()));
            m.put("decode_tokens_per_s", Double.isNaN(r.decodeTokensPerSecond()) ? "null" : fmt(r.decodeTokensPerSecond()));
            m.put("compressions", r.compressions());
            m.put("compression_ms", fmt(r.compressionMs()));
            b.append(i == 0 ? "{" : ", {");
            int k = 0;
            for (Map.Entry<String, Object> e : m.entrySet()) {
                b.append(k++ == 0 ? "" : ", ").append(Json.quote(e.getKey())).append(": ").append(e.getValue());
            }
            b.append('}');
        }
        return b.append("]}").toString();
    }

    private static String quarters(java.util.function.IntToDoubleFunction f) {
        StringBuilder q = new StringBuilder("[");
        for (int k = 0; k < PolicyScore.QUARTERS; k++) {
            q.append(k == 0 ? "" : ", ").append(fmt(f.applyAsDouble(k)));
        }
        return q.append(']').toString();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    private static void printTable(PrintStream out, Model model, KvCacheConfig shown, int batch, int next, List<EvalText> texts,
                                   List<Row> rows) {
        int read = 0;
        for (EvalText t : texts) {
            read = Math.max(read, t.length());
        }
        out.printf("model %s, %d texts of up to %d tokens read in batches of %d, then %d greedy tokens; %s%n", model.path().getFileName(),
                texts.size(), read, batch, next,
                PerplexityCommand.settings(shown).replaceFirst("^chelsea \\(kept [0-9.]+, ", "(").replace("()", ""));
        PolicyScore full = rows.getFirst().score();
        String h = "%-10s %6s %6s %10s %8s %7s %7s %9s %10s %10s %10s %7s %10s%n";
        out.printf(h, "policy", "target", "kept", "perplexity", "vs full", "top-1", "greedy", "attn err", "KV peak", "KV final", "KV mean",
                "KV/full", "decode t/s");
        for (Row row : rows) {
            PolicyScore r = row.score();
            boolean isFull = r == full;
            out.printf(Locale.ROOT, "%-10s %6.2f %6s %10.4f %8s %6.1f%% %6.1f%% %9s %10s %10s %10s %7.3f %10.1f%n", row.policy(), row.target(),
                    String.format(Locale.ROOT, "%.3f", r.keptRatio()) + (row.overMemory() ? "*" : ""), r.perplexity(),
                    isFull ? "-" : String.format(Locale.ROOT, "%+.2f%%", 100 * (r.perplexity() / full.perplexity() - 1)),
                    100 * r.top1Agreement(), 100 * r.greedyAgreement(), isFull ? "-" : String.format(Locale.ROOT, "%.4f", r.attentionError()),
                    Bytes.human(r.peakBytes()), Bytes.human(Math.round(r.finalBytes())),
                    Bytes.human(Math.round(r.meanBytes())), r.meanBytes() / full.meanBytes(), r.decodeTokensPerSecond());
        }
    }
}
