package dev.chelsea.tools.eval;

import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvType;
import dev.chelsea.engine.kv.HostKvStore;
import dev.chelsea.engine.model.Model;

import java.util.ArrayList;
import java.util.List;

/**
 * Policies against the full cache on the same texts. Each text is read teacher-forced with
 * online compression ({@link OnlinePerplexity}), then continued greedily for {@code next} tokens
 * ({@link GreedyContinuation}). The full cache runs first and its predictions and continuations
 * are the references; every other policy runs under an {@link AttentionErrorProbe}, paused while
 * its continuation is timed.
 */
public final class PolicyComparison {
    private final Model model;
    private final List<EvalText> texts;
    private final int batch;
    private final int next;
    private final List<OnlinePerplexity.Result> fullReads = new ArrayList<>();
    private final List<GreedyContinuation> fullNexts = new ArrayList<>();
    private final PolicyScore full;

    /**
     * Reads every text with the full cache. Texts must leave room for the continuation:
     * {@code length + next - 1} tokens at most the model's context.
     */
    public PolicyComparison(Model model, List<EvalText> texts, int batch, int next) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to compare on");
        }
        for (EvalText t : texts) {
            if (t.length() + next - 1 > model.contextLength()) {
                throw new IllegalArgumentException(t.name() + ": " + t.length() + " tokens and " + next
                        + " more do not fit in the context of " + model.contextLength());
            }
        }
        this.model = model;
        this.texts = texts;
        this.batch = batch;
        this.next = next;
        // The reference is the float32 full cache whatever type the policies use.
        KvCacheConfig reference = KvCacheConfig.full().withKvType(KvType.F32);
        this.full = new PolicyScore(reference);
        for (EvalText t : texts) {
            try (Session s = model.newSession(reference)) {
                OnlinePerplexity.Result read = OnlinePerplexity.run(s, t.tokens(), batch);
                GreedyContinuation cont = GreedyContinuation.run(s, read.lastLogits(), next);
                fullReads.add(read);
                fullNexts.add(cont);
                full.add(t.tokens(), read, cont, null, null, 0, s.cache().stats());
            }
        }
    }

    /** The full cache's own score: the reference every other is compared with. */
    public PolicyScore full() {
        return full;
    }

    public PolicyScore score(KvCacheConfig kv) {
        if (kv.policy().equals("full")) {
            return full;
        }
        PolicyScore score = new PolicyScore(kv);
        for (int i = 0; i < texts.size(); i++) {
            int[] text = texts.get(i).tokens();
            AttentionErrorProbe[] probe = new AttentionErrorProbe[1];
            try (Session s = model.newSession(kv, store -> probe[0] = new AttentionErrorProbe((HostKvStore) store))) {
                OnlinePerplexity.Result read = OnlinePerplexity.run(s, text, batch);
                probe[0].pause(true);
                GreedyContinuation cont = GreedyContinuation.run(s, read.lastLogits(), next);
                score.add(text, read, cont, fullReads.get(i), fullNexts.get(i), probe[0].relativeError(), s.cache().stats());
            }
        }
        return score;
    }

    /** The longest text, in tokens (what memory calibration replays). */
    public int longestText() {
        return texts.stream().mapToInt(EvalText::length).max().orElseThrow();
    }
}
