package dev.chelsea.tools.eval;

import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.generate.Sampler;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.tokenizer.ChatMessage;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.chelsea.engine.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Runs needle tasks as a user would meet them: the whole prompt is read (its own attention over
 * its full KV), the policy compresses at the end of the prompt, and a short answer is decoded
 * greedily over what the policy kept. With a chat template the prompt is the user's message and
 * the answer prefix opens the assistant's turn; without one the prefix follows the prompt.
 */
public final class RetrievalRunner {
    private final Model model;
    private final KvCacheConfig kv;
    private final int answerTokens;
    private final boolean chat;

    /**
     * @param answerTokens most tokens decoded for an answer
     * @param chat         whether to use the model's chat template
     */
    public RetrievalRunner(Model model, KvCacheConfig kv, int answerTokens, boolean chat) {
        if (answerTokens < 1) {
            throw new IllegalArgumentException("answer tokens must be at least 1, got " + answerTokens);
        }
        this.model = model;
        this.kv = kv;
        this.answerTokens = answerTokens;
        this.chat = chat;
    }

    /**
     * @param promptTokens the prompt's length in tokens
     * @param skipped      true when prompt and answer do not fit in the context (nothing was run)
     * @param answer       the decoded answer (after the prefix)
     * @param stats        the cache after answering (null when skipped)
     * @param nanos        prefill and answer time
     */
    public record Outcome(RetrievalCase task, int promptTokens, boolean skipped, String answer, boolean correct, KvStats stats,
                          long nanos) {
    }

    /** The prompt as token ids. */
    public int[] encode(RetrievalCase c) {
        return encode(model.tokenizer(), chat ? model.chatTemplate() : null, c);
    }

    /**
     * The prompt as token ids, with {@code template} (null: a plain prompt). Needs only the
     * vocabulary, so a caller can size the context before loading the model.
     */
    public static int[] encode(Tokenizer tok, ChatTemplate template, RetrievalCase c) {
        if (template == null) {
            return tok.encode(c.prompt().stripTrailing() + " " + c.answerPrefix(), tok.addsBos(), false);
        }
        String text = template.render(List.of(ChatMessage.user(c.prompt())), true) + c.answerPrefix();
        return tok.encode(text, tok.addsBos() && !template.rendersBos(), true);
    }

    public Outcome run(RetrievalCase c) {
        int[] prompt = encode(c);
        if (prompt.length + answerTokens > model.contextLength()) {
            return new Outcome(c, prompt.length, true, "", false, null, 0);
        }
        long t0 = System.nanoTime();
        Session session = model.newSession(kv);
        float[] logits = session.prefill(prompt);
        int[] eog = model.tokenizer().endOfGenerationTokens();
        int[] out = new int[answerTokens];
        int n = 0;
        while (n < answerTokens) {
            int token = Ops.argmax(logits, 0, logits.length);
            if (contains(eog, token)) {
                break;
            }
            out[n++] = token;
            if (n < answerTokens) {
                logits = session.decode(token);
            }
        }
        String answer = model.tokenizer().decode(Arrays.copyOf(out, n));
        return new Outcome(c, prompt.length, false, answer, c.isCorrect(answer), session.cache().stats(), System.nanoTime() - t0);
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }
}
