package dev.chelsea.tools.cli;

import dev.chelsea.engine.generate.CancellationToken;
import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.tokenizer.ChatMessage;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** {@code generate}: prints only the generated text on stdout, streamed; statistics go to stderr. */
final class GenerateCommand extends Command {
    @Override
    String name() {
        return "generate";
    }

    @Override
    String summary() {
        return "generate text from a prompt (or a chat message with --chat)";
    }

    @Override
    String usage() {
        return """
                usage: bin/chelsea generate --model M.gguf --prompt TEXT [options]
                  --model M.gguf       the GGUF model file
                  --prompt TEXT        the prompt (with --chat: the user's message)
                  --chat               render the prompt with the model's chat template
                  --system TEXT        system message (with --chat)
                  --max-tokens N       most tokens to generate (default 256)
                  --temperature T      0 = greedy (default 0.8)
                  --top-k K            (default 40; 0 = off)
                  --top-p P            (default 0.95; 1 = off)
                  --min-p P            (default 0.05; 0 = off)
                  --repeat-penalty R   (default 1.0 = off)
                  --seed S             random seed (default: random)
                  --stop TEXT          stop string (repeatable)
                  --context N          context length (default: the model's, at most 4096)
                  --quiet              no statistics on stderr
                """ + KV_USAGE + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        List<String> o = new ArrayList<>(List.of("model", "prompt", "system", "max-tokens", "temperature", "top-k", "top-p",
                "min-p", "repeat-penalty", "seed", "stop", "context"));
        o.addAll(KV);
        return o;
    }

    @Override
    List<String> flagOptions() {
        return List.of("chat", "no-size-bias", "global-topk", "quiet");
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        String prompt = a.require("prompt");
        int maxTokens = a.integer("max-tokens", 256);
        if (maxTokens < 1) {
            throw new UsageException("option --max-tokens must be at least 1, got " + maxTokens);
        }
        SamplingParams sampling;
        try {
            sampling = new SamplingParams((float) a.number("temperature", 0.8), a.integer("top-k", 40),
                    (float) a.number("top-p", 0.95), (float) a.number("min-p", 0.05), (float) a.number("repeat-penalty", 1.0),
                    64, a.longValue("seed", System.nanoTime()));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        var kv = kvConfig(a);
        try (Model model = loadModel(a, a.integer("context", 0))) {
            int[] tokens;
            List<String> stops = new ArrayList<>(a.all("stop"));
            if (a.flag("chat")) {
                List<ChatMessage> messages = new ArrayList<>();
                if (a.has("system")) {
                    messages.add(ChatMessage.system(a.string("system", "")));
                }
                messages.add(ChatMessage.user(prompt));
                tokens = model.encodeChat(messages);
                stops.addAll(model.chatTemplate().endOfTurnMarkers());
            } else {
                tokens = model.encodeText(prompt);
            }
            GenerationResult r = new Generator(model).generate(new GenerationRequest(tokens, sampling, maxTokens, stops, kv),
                    piece -> {
                        out.print(piece);
                        out.flush();
                    }, new CancellationToken());
            out.println();
            if (!a.flag("quiet")) {
                err.println("[" + r.stopReason() + "] " + r.stats());
            }
        }
        return 0;
    }
}
