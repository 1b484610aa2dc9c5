package dev.chelsea.engine.cli;

import dev.chelsea.engine.eval.EvalText;
import dev.chelsea.engine.eval.GreedyContinuation;
import dev.chelsea.engine.eval.MemoryCalibration;
import dev.chelsea.engine.eval.OnlinePerplexity;
import dev.chelsea.engine.eval.QualityPlot;
import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.generate.Session;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kv.AttentionErrorProbe;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvCaches;
import dev.chelsea.engine.kv.KvStats;
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
                """ + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        List<String> o = new ArrayList<>(List.of("model", "context", "next", "ratios", "kv", "batch", "plot", "chunk", "sinks", "window",
                "layer-budgets"));
        o.addAll(EvalTexts.OPTIONS);
        return o;
    }

    @Override
    List<String> flagOptions() {
        return List.of("json", "no-size-bias", "global-topk", "match-memory");
    }

    /** The full cache's answers for one text. */
    record Reference(int[] argmax, int[] continuation) {
    }

    /** One policy at one nominal ratio ({@code target}; {@code ratio} is the one it ran at), summed over texts. */
    record Row(String policy, double target, double ratio, double nll, long scored, long top1, long positions, long greedy, long generated,
               long[] top1ByQuarter, long[] positionsByQuarter, double[] nllByQuarter, long[] scoredByQuarter, double greedyPrefix, double attentionError, long peakBytes, double finalBytes, double meanBytes, long decodeSteps, long decodeNanos,
               long compressions, double compressionMs, boolean overMemory) {
        Row markedOverMemory() {
            return new Row(policy, target, ratio, nll, scored, top1, positions, greedy, generated, top1ByQuarter, positionsByQuarter,
                    nllByQuarter, scoredByQuarter, greedyPrefix, attentionError, peakBytes, finalBytes,
                    meanBytes, decodeSteps, decodeNanos, compressions, compressionMs, true);
        }

        double perplexity() {
            return Math.exp(nll / scored);
        }

        double top1Agreement() {
            return (double) top1 / positions;
        }

        double greedyAgreement() {
            return (double) greedy / generated;
        }

        double decodeTokensPerSecond() {
            return decodeNanos == 0 ? Double.NaN : decodeSteps * 1e9 / decodeNanos;
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
        Path plot = a.has("plot") ? Path.of(a.string("plot", "")) : null;
        try (Model model = loadModel(a, a.integer("context", 0))) {
            int ctx = model.contextLength();
            if (ctx - next + 1 < 2) {
                throw new UsageException("--next " + next + " leaves no room to read text in a context of " + ctx);
            }
            List<EvalText> texts = EvalTexts.load(a, model, ctx - next + 1);
            List<Reference> refs = new ArrayList<>();
            List<Row> rows = new ArrayList<>();
            rows.add(evaluate(model, KvCacheConfig.full(), 1.0, texts, null, refs, batch, next));
            err.printf("compare: full done (1 of %d)%n", 1 + ratios.length * policies.size());
            int longest = texts.stream().mapToInt(EvalText::length).max().orElseThrow();
            for (double ratio : ratios) {
                MemoryCalibration.Usage target = MemoryCalibration.usage(kvConfig(a, "streaming").withKeptRatio(ratio), model.kvLayout(),
                        longest, batch, next - 1);
                for (String p : policies) {
                    KvCacheConfig kv = kvConfig(a, p).withKeptRatio(ratio);
                    boolean over = false;
                    if (a.flag("match-memory") && !p.equals("streaming")) {
                        kv = kv.withKeptRatio(MemoryCalibration.matchRatio(kv, model.kvLayout(), longest, batch, next - 1, target));
                        over = !MemoryCalibration.usage(kv, model.kvLayout(), longest, batch, next - 1).within(target);
                        if (over) {
                            err.printf(Locale.ROOT, "compare: %s cannot get down to streaming's memory at %.2f even at its smallest budget"
                                    + " (sinks + window, plus its slack); its row uses more (marked *)%n", p, ratio);
                        }
                    }
                    Row row = evaluate(model, kv, ratio, texts, refs, null, batch, next);
                    rows.add(over ? row.markedOverMemory() : row);
                    err.printf(Locale.ROOT, "compare: %s at %.2f (kept ratio %.4f) done (%d of %d)%n", p, ratio, kv.keptRatio(), rows.size(),
                            1 + ratios.length * policies.size());
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
                        + (a.flag("match-memory") ? "memory matched to streaming, " : "")
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

    /**
     * Runs one configuration over every text. The full cache (refsOut != null) records the
     * reference answers; every other policy is compared with them and measured by an attention
     * probe, paused while the continuation is timed.
     */
    private static Row evaluate(Model model, KvCacheConfig kv, double target, List<EvalText> texts, List<Reference> refs,
                                List<Reference> refsOut, int batch, int next) {
        double nll = 0, fin = 0, meanSum = 0, errSum = 0, compMs = 0, prefix = 0;
        long[] top1q = new long[4], positionsq = new long[4], scoredq = new long[4];
        double[] nllq = new double[4];
        long scored = 0, top1 = 0, positions = 0, greedy = 0, generated = 0, peak = 0, steps = 0, nanos = 0, comp = 0, tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            int[] ids = texts.get(i).tokens();
            AttentionErrorProbe probe = refsOut != null ? null
                    : new AttentionErrorProbe(KvCaches.create(kv, model.kvLayout(), model.contextLength()), model.contextLength());
            Session s = probe != null ? model.newSession(probe) : model.newSession(kv);
            OnlinePerplexity.Result r = OnlinePerplexity.run(s, ids, batch);
            if (probe != null) {
                probe.pause(true);
            }
            GreedyContinuation g = GreedyContinuation.run(s, r.lastLogits(), next);
            if (refsOut != null) {
                refsOut.add(new Reference(r.argmax(), g.tokens()));
            } else {
                Reference ref = refs.get(i);
                for (int p = 0; p < ids.length; p++) {
                    int same = r.argmax()[p] == ref.argmax()[p] ? 1 : 0;
                    top1 += same;
                    top1q[4 * p / ids.length] += same;
                    positionsq[4 * p / ids.length]++;
                }
                greedy += g.matches(ref.continuation());
                prefix += g.commonPrefix(ref.continuation());
                errSum += probe.relativeError();
            }
            for (int p = 0; p < r.scored(); p++) {
                nllq[4 * p / ids.length] += r.tokenNll()[p];
                scoredq[4 * p / ids.length]++;
            }
            KvStats st = s.cache().stats();
            nll += r.nll();
            scored += r.scored();
            positions += ids.length;
            generated += next;
            peak = Math.max(peak, st.peakBytes());
            fin += st.totalBytes();
            meanSum += r.meanBytes() * ids.length;
            tokens += ids.length;
            steps += g.decodeSteps();
            nanos += g.decodeNanos();
            comp += st.compressions();
            compMs += st.compressionNanos() / 1e6;
        }
        if (refsOut != null) {
            top1 = positions;
            greedy = generated;
            prefix = (double) next * texts.size();
        }
        return new Row(kv.policy(), target, kv.policy().equals("full") ? 1.0 : kv.keptRatio(), nll, scored, top1, positions, greedy, generated,
                top1q, positionsq, nllq, scoredq, prefix / texts.size(), errSum / texts.size(), peak,
                fin / texts.size(), meanSum / tokens, steps, nanos, comp, compMs, false);
    }

    private static List<QualityPlot.Panel> panels(List<Row> rows, List<String> policies) {
        Row full = rows.getFirst();
        List<QualityPlot.Series> ppl = new ArrayList<>(), agree = new ArrayList<>();
        for (String p : policies) {
            List<Row> mine = rows.stream().filter(r -> r.policy().equals(p)).sorted((x, y) -> Double.compare(x.meanBytes(), y.meanBytes())).toList();
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
        Row full = rows.getFirst();
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
            Row r = rows.get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            StringBuilder pq = new StringBuilder("[");
            for (int k = 0; k < 4; k++) {
                pq.append(k == 0 ? "" : ", ").append(fmt(Math.exp(r.nllByQuarter()[k] / r.scoredByQuarter()[k])));
            }
            m.put("policy", Json.quote(r.policy()));
            m.put("target_ratio", r.target());
            m.put("kept_ratio", r.ratio());
            m.put("over_memory", r.overMemory());
            m.put("perplexity", fmt(r.perplexity()));
            m.put("tokens", r.scored());
            m.put("perplexity_by_quarter", pq.append(']').toString());
            m.put("top1_agreement", fmt(r.top1Agreement()));
            if (r != full) {
                StringBuilder q = new StringBuilder("[");
                for (int k = 0; k < 4; k++) {
                    q.append(k == 0 ? "" : ", ").append(fmt((double) r.top1ByQuarter()[k] / r.positionsByQuarter()[k]));
                }
                m.put("top1_agreement_by_quarter", q.append(']').toString());
            }
            m.put("greedy_agreement", fmt(r.greedyAgreement()));
            m.put("greedy_common_prefix", fmt(r.greedyPrefix()));
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
                texts.size(), read, batch, next, PerplexityCommand.settings(shown).replaceFirst("^chelsea \\(kept [0-9.]+, ", "(").replace("()", ""));
        Row full = rows.getFirst();
        String h = "%-10s %6s %6s %10s %8s %7s %7s %9s %10s %10s %10s %7s %10s%n";
        out.printf(h, "policy", "target", "kept", "perplexity", "vs full", "top-1", "greedy", "attn err", "KV peak", "KV final", "KV mean",
                "KV/full", "decode t/s");
        for (Row r : rows) {
            boolean isFull = r == full;
            out.printf(Locale.ROOT, "%-10s %6.2f %6s %10.4f %8s %6.1f%% %6.1f%% %9s %10s %10s %10s %7.3f %10.1f%n", r.policy(), r.target(),
                    String.format(Locale.ROOT, "%.3f", r.ratio()) + (r.overMemory() ? "*" : ""),
                    r.perplexity(), isFull ? "-" : String.format(Locale.ROOT, "%+.2f%%", 100 * (r.perplexity() / full.perplexity() - 1)),
                    100 * r.top1Agreement(), 100 * r.greedyAgreement(), isFull ? "-" : String.format(Locale.ROOT, "%.4f", r.attentionError()),
                    GenerationStats.humanBytes(r.peakBytes()), GenerationStats.humanBytes(Math.round(r.finalBytes())),
                    GenerationStats.humanBytes(Math.round(r.meanBytes())), r.meanBytes() / full.meanBytes(), r.decodeTokensPerSecond());
        }
    }
}
