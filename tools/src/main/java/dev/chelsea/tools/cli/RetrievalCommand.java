package dev.chelsea.tools.cli;

import dev.chelsea.engine.model.Bytes;
import dev.chelsea.tools.eval.LongChatLines;
import dev.chelsea.tools.eval.PasskeyPrompt;
import dev.chelsea.tools.eval.RetrievalCase;
import dev.chelsea.tools.eval.RetrievalRunner;
import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.json.Json;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.arch.ModelConfig;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.chelsea.engine.tokenizer.ChatTemplates;
import dev.chelsea.engine.tokenizer.Tokenizer;
import dev.chelsea.engine.tokenizer.Tokenizers;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code retrieval}: accuracy on needle tasks, from LongChat "lines" files or the built-in passkey
 * generator. Cases longer than the context are skipped and counted, never silently dropped.
 */
final class RetrievalCommand extends Command {
    @Override
    String name() {
        return "retrieval";
    }

    @Override
    String summary() {
        return "needle retrieval accuracy (LongChat lines files or generated passkey prompts)";
    }

    @Override
    String usage() {
        return """
                usage: bin/chelsea retrieval --model M.gguf (--file tests.jsonl | --passkey) [options]
                  --model M.gguf       the GGUF model file
                  --file F.jsonl       LongChat "lines" tests (fields prompt, expected_number) (repeatable)
                  --limit N            run at most the first N cases of each file
                  --passkey            generated passkey tests instead: a 5-digit key hidden in filler
                  --length N           passkey prompt length in tokens, before any chat template (default 1024)
                  --depth D            where the key sits in the filler, 0 = start, 1 = end (default 0.5)
                  --trials K           passkey tests, seeds 1..K (default 10)
                  --answer-tokens N    most tokens decoded per answer (default 24)
                  --context N          context length (default: the longest case plus the answer, at most the model's)
                  --plain              do not use the chat template even if the model has one
                  --json               print one JSON object instead of a table
                An answer is correct when the first number in it is the expected one.
                """ + KV_USAGE + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        List<String> o = new ArrayList<>(List.of("model", "file", "limit", "length", "depth", "trials", "answer-tokens", "context"));
        o.addAll(KV);
        return o;
    }

    @Override
    List<String> flagOptions() {
        return List.of("json", "passkey", "plain", "no-size-bias", "global-topk");
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        KvCacheConfig kv = kvConfig(a);
        boolean passkey = a.flag("passkey");
        if (passkey == !a.all("file").isEmpty()) {
            throw new UsageException("give either --file tests.jsonl or --passkey");
        }
        int answerTokens = a.integer("answer-tokens", 24);
        if (answerTokens < 1) {
            throw new UsageException("option --answer-tokens must be at least 1, got " + answerTokens);
        }
        List<RetrievalCase> fromFiles = new ArrayList<>();
        if (!passkey) {
            int limit = a.integer("limit", Integer.MAX_VALUE);
            if (limit < 1) {
                throw new UsageException("option --limit must be at least 1, got " + limit);
            }
            for (String f : a.all("file")) {
                List<RetrievalCase> cases = LongChatLines.read(Path.of(f));
                fromFiles.addAll(cases.subList(0, Math.min(limit, cases.size())));
            }
        }
        int length = a.integer("length", 1024);
        double depth = a.number("depth", 0.5);
        int trials = a.integer("trials", 10);
        if (passkey && (length < 1 || trials < 1 || !(depth >= 0 && depth <= 1))) {
            throw new UsageException("--length and --trials must be at least 1 and --depth in [0, 1]");
        }
        int context = a.integer("context", 0);
        if (context < 0) {
            throw new UsageException("option --context must not be negative, got " + context);
        }
        List<RetrievalCase> cases = fromFiles;
        boolean chat;
        // The vocabulary alone sizes the context (the longest prompt plus its answer, within the
        // model's trained context) before the model and its cache are set up for it.
        try (GgufFile file = GgufFile.open(Path.of(a.require("model")))) {
            Tokenizer tok = Tokenizers.fromGguf(file.metadata());
            ChatTemplate template = null;
            if (!a.flag("plain")) {
                try {
                    template = ChatTemplates.forModel(file.metadata());
                } catch (RuntimeException noTemplate) {
                    template = null;
                }
            }
            chat = template != null;
            if (passkey) {
                cases = new ArrayList<>();
                for (int t = 1; t <= trials; t++) {
                    cases.add(PasskeyPrompt.build(tok, length, depth, t));
                }
            }
            if (context == 0) {
                int longest = 0;
                for (RetrievalCase c : cases) {
                    longest = Math.max(longest, RetrievalRunner.encode(tok, template, c).length);
                }
                context = (int) Math.min((long) longest + answerTokens, ModelConfig.read(file).contextLength());
            }
        }
        try (Model model = loadModel(a, context)) {
            if (chat != model.hasChatTemplate()) {
                throw new IllegalStateException("chat template detection disagrees between the vocabulary and the model");
            }
            return report(a, out, model, kv, cases, answerTokens, chat);
        }
    }

    private static int report(Args a, PrintStream out, Model model, KvCacheConfig kv, List<RetrievalCase> cases, int answerTokens,
                              boolean chat) {
        RetrievalRunner runner = new RetrievalRunner(model, kv, answerTokens, chat);
        List<RetrievalRunner.Outcome> outcomes = new ArrayList<>();
        for (RetrievalCase c : cases) {
            outcomes.add(runner.run(c));
        }
        if (a.flag("json")) {
            out.println(json(model, kv, chat, outcomes));
        } else {
            printTable(out, model, kv, chat, outcomes);
        }
        return 0;
    }

    /** Totals over the cases run; {@code finalBytes} is the mean of what each cache held once its answer was written. */
    record Summary(int run, int skipped, int correct, long peakBytes, double finalBytes, long nanos) {
        double accuracy() {
            return run == 0 ? Double.NaN : (double) correct / run;
        }

        static Summary of(List<RetrievalRunner.Outcome> outcomes) {
            int run = 0, skipped = 0, correct = 0;
            long peak = 0, nanos = 0;
            double fin = 0;
            for (RetrievalRunner.Outcome o : outcomes) {
                if (o.skipped()) {
                    skipped++;
                    continue;
                }
                run++;
                correct += o.correct() ? 1 : 0;
                peak = Math.max(peak, o.stats().peakBytes());
                fin += o.stats().totalBytes();
                nanos += o.nanos();
            }
            return new Summary(run, skipped, correct, peak, run == 0 ? 0 : fin / run, nanos);
        }
    }

    private static String json(Model model, KvCacheConfig kv, boolean chat, List<RetrievalRunner.Outcome> outcomes) {
        Summary s = Summary.of(outcomes);
        StringBuilder b = new StringBuilder();
        b.append("{\"model\": ").append(Json.quote(model.name())).append(", ").append(PerplexityCommand.kvJson(kv))
                .append(", \"context\": ").append(model.contextLength()).append(", \"chat_template\": ").append(chat)
                .append(", \"cases\": ").append(outcomes.size()).append(", \"run\": ").append(s.run())
                .append(", \"skipped_too_long\": ").append(s.skipped()).append(", \"correct\": ").append(s.correct())
                .append(", \"accuracy\": ").append(s.run() == 0 ? "null" : String.format(Locale.ROOT, "%.4f", s.accuracy()))
                .append(", \"kv_bytes_peak\": ").append(s.peakBytes())
                .append(", \"kv_bytes_final\": ").append(Math.round(s.finalBytes()))
                .append(String.format(Locale.ROOT, ", \"seconds\": %.3f", s.nanos() / 1e9)).append(", \"results\": [");
        for (int i = 0; i < outcomes.size(); i++) {
            RetrievalRunner.Outcome o = outcomes.get(i);
            b.append(i == 0 ? "" : ", ").append("{\"id\": ").append(Json.quote(o.task().id()))
                    .append(", \"prompt_tokens\": ").append(o.promptTokens())
                    .append(", \"depth\": ").append(Double.isNaN(o.task().depth()) ? "null" : String.format(Locale.ROOT, "%.4f", o.task().depth()))
                    .append(", \"expected\": ").append(o.task().expected()).append(", \"skipped\": ").append(o.skipped())
                    .append(", \"answer\": ").append(Json.quote(o.answer())).append(", \"correct\": ").append(o.correct()).append('}');
        }
        return b.append("]}").toString();
    }

    private static void printTable(PrintStream out, Model model, KvCacheConfig kv, boolean chat, List<RetrievalRunner.Outcome> outcomes) {
        out.printf("model %s, kv %s, context %d, %s%n", model.path().getFileName(), PerplexityCommand.settings(kv), model.contextLength(),
                chat ? "chat template" : "plain prompt");
        String fmt = "%-28s %7s %6s %8s %-4s %s%n";
        out.printf(fmt, "case", "tokens", "depth", "expected", "ok", "answer");
        for (RetrievalRunner.Outcome o : outcomes) {
            String answer = o.skipped() ? "(skipped: longer than the context)" : o.answer().strip().replace("\n", "\\n");
            if (answer.length() > 60) {
                answer = answer.substring(0, 57) + "...";
            }
            out.printf(Locale.ROOT, fmt, o.task().id(), o.promptTokens(),
                    Double.isNaN(o.task().depth()) ? "-" : String.format(Locale.ROOT, "%.2f", o.task().depth()), o.task().expected(),
                    o.skipped() ? "-" : o.correct() ? "yes" : "no", answer);
        }
        Summary s = Summary.of(outcomes);
        out.printf(Locale.ROOT, "accuracy %s (%d of %d run); %d of %d skipped as longer than the context of %d; KV peak %s (the prompt,"
                + " read whole), %s after answering%n",
                s.run() == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * s.accuracy()), s.correct(), s.run(), s.skipped(),
                outcomes.size(), model.contextLength(), Bytes.human(s.peakBytes()),
                Bytes.human(Math.round(s.finalBytes())));
    }
}
