package dev.chelsea.tools.cli;

import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Bytes;
import dev.chelsea.engine.model.Model;
import dev.chelsea.tools.eval.EvalText;
import dev.chelsea.tools.eval.PromptChunking;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code prompt-chunks}: a long prompt compressed as it is read, in pieces of N tokens, against
 * the same policy compressing it once it is read whole, both against the full cache: next-token
 * KL divergence and top-1, greedy agreement of the continuation, peak and final KV bytes, time.
 */
final class PromptChunksCommand extends Command {
    @Override
    String name() {
        return "prompt-chunks";
    }

    @Override
    String summary() {
        return "quality and peak KV of compressing a long prompt as it is read (--prompt-chunk) against once it is read";
    }

    @Override
    String usage() {
        return """
                usage: bin/chelsea prompt-chunks --model M.gguf (--file TEXT | --self-text N) [options]
                  --model M.gguf     the GGUF model file
                """ + EvalTexts.USAGE + """
                  --context N        context length; each text is read as one prompt of up to N - next tokens
                                     (default: the model's, at most 4096)
                  --next N           greedy tokens generated after each prompt (default 32)
                  --pieces N,...     prompt chunks to compare with reading the prompt whole (default 256,512,1024)
                  --json             print one JSON object instead of a table
                """ + KV_USAGE.replace("(default full)", "(default chelsea)") + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        List<String> o = new ArrayList<>(List.of("model", "context", "next", "pieces"));
        o.addAll(EvalTexts.OPTIONS);
        o.addAll(KV);
        return o;
    }

    @Override
    List<String> flagOptions() {
        return List.of("json", "no-size-bias", "global-topk");
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        int next = a.integer("next", 32);
        if (next < 1) {
            throw new UsageException("option --next must be at least 1, got " + next);
        }
        KvCacheConfig kv = kvConfig(a, a.string("kv", "chelsea"));
        if (kv.policy().equals("full")) {
            throw new UsageException("prompt-chunks compares a compressing policy with the full cache: give --kv chelsea, streaming, h2o or snapkv");
        }
        List<Integer> pieces = new ArrayList<>();
        for (String p : a.string("pieces", "256,512,1024").split(",")) {
            try {
                int n = Integer.parseInt(p.trim());
                kv.withPromptChunk(n);
                pieces.add(n);
            } catch (NumberFormatException e) {
                throw new UsageException("option --pieces takes token counts separated by commas, got '" + p.trim() + "'");
            } catch (IllegalArgumentException e) {
                throw new UsageException("option --pieces: " + e.getMessage());
            }
        }
        try (Model model = loadModel(a, a.integer("context", 0))) {
            int ctx = Math.min(model.contextLength(), 4096);
            if (ctx - next < 2) {
                throw new UsageException("--next " + next + " leaves no room for a prompt in a context of " + ctx);
            }
            List<EvalText> texts = EvalTexts.load(a, model, ctx - next);
            PromptChunking eval = new PromptChunking(model, texts, next, kv.kvType());
            List<PromptChunking.Score> rows = new ArrayList<>();
            rows.add(eval.full());
            rows.add(eval.score(kv.withPromptChunk(0)));
            for (int n : pieces) {
                rows.add(eval.score(kv.withPromptChunk(n)));
                err.printf("prompt-chunks: pieces of %d done%n", n);
            }
            int longest = texts.stream().mapToInt(EvalText::length).max().orElse(0);
            if (a.flag("json")) {
                out.println(json(model, kv, next, longest, rows));
            } else {
                printTable(out, model, kv, texts.size(), longest, next, rows);
            }
        }
        return 0;
    }

    private static String mode(PromptChunking.Score s) {
        KvCacheConfig c = s.config();
        return c.policy().equals("full") ? "full" : c.promptChunk() == 0 ? "whole" : "every " + c.promptChunk();
    }

    private static void printTable(PrintStream out, Model model, KvCacheConfig kv, int texts, int longest, int next,
                                   List<PromptChunking.Score> rows) {
        out.printf("model %s, kv %s, %d text(s) of up to %d tokens read as one prompt, %d greedy tokens after it%n",
                model.path().getFileName(), PerplexityCommand.settings(kv), texts, longest, next);
        String h = "%-12s %10s %7s %8s %11s %11s %10s%n";
        out.printf(h, "prompt read", "KL nats", "top-1", "greedy", "KV peak", "KV final", "prefill s");
        for (PromptChunking.Score s : rows) {
            out.printf(Locale.ROOT, "%-12s %10.5f %6.1f%% %7.1f%% %11s %11s %10.2f%n", mode(s), s.kl(), 100 * s.top1(), 100 * s.greedy(),
                    Bytes.human(s.peakBytes()), Bytes.human(Math.round(s.finalBytes())), s.prefillSeconds());
        }
    }

    private static String json(Model model, KvCacheConfig kv, int next, int longest, List<PromptChunking.Score> rows) {
        StringBuilder b = new StringBuilder("{\"model\": ").append(Json.quote(model.name())).append(", ")
                .append(PerplexityCommand.kvJson(kv)).append(", \"next\": ").append(next).append(", \"longest_prompt\": ").append(longest)
                .append(", \"rows\": [");
        for (int i = 0; i < rows.size(); i++) {
            PromptChunking.Score s = rows.get(i);
            b.append(i == 0 ? "" : ", ").append("{\"prompt_read\": ").append(Json.quote(mode(s)))
                    .append(", \"prompt_chunk\": ").append(s.config().promptChunk())
                    .append(String.format(Locale.ROOT, ", \"kl\": %.6f, \"top1\": %.4f, \"greedy\": %.4f", s.kl(), s.top1(), s.greedy()))
                    .append(", \"kv_peak_bytes\": ").append(s.peakBytes())
                    .append(String.format(Locale.ROOT, ", \"kv_final_bytes\": %.0f, \"prefill_s\": %.3f}", s.finalBytes(), s.prefillSeconds()));
        }
        return b.append("]}").toString();
    }
}
