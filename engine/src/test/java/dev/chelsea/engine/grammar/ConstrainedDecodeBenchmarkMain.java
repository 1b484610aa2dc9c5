package dev.chelsea.engine.grammar;

import dev.chelsea.engine.generate.GenerationRequest;
import dev.chelsea.engine.generate.GenerationResult;
import dev.chelsea.engine.generate.Generator;
import dev.chelsea.engine.generate.SamplingParams;
import dev.chelsea.engine.generate.TokenConstraint;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A timing harness, not a test: decode speed with and without a JSON-schema constraint on the
 * same model, runs interleaved so that both see the same machine, and, within the constrained
 * runs, the time spent in the constraint (mask and advance) against the whole decode time, which
 * stays meaningful on a busy machine. Greedy decoding; the schema (an object with one string
 * property) keeps the model writing until the token budget makes the constraint close the value,
 * so both runs decode the same number of tokens. Run after {@code mvn test-compile}:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes \
 *     dev.chelsea.engine.grammar.ConstrainedDecodeBenchmarkMain MODEL.gguf [tokens=48] [rounds=3] [threads=2]
 * </pre>
 *
 * The model: {@code bin/chelsea synth --shape llama-3.2-1b --type q8_0 --tokenizer-from
 * ../shared/data/tokenizer/ggml-vocab-llama-bpe.gguf --out llama-3.2-1b-q8_0.gguf}.
 */
public final class ConstrainedDecodeBenchmarkMain {
    private ConstrainedDecodeBenchmarkMain() {
    }

    /** Counts the time spent in a constraint. */
    private static final class Timed implements TokenConstraint {
        final TokenConstraint inner;
        long nanos;

        Timed(TokenConstraint inner) {
            this.inner = inner;
        }

        @Override
        public State start() {
            State s = inner.start();
            return new State() {
                @Override
                public void mask(float[] logits, int remaining) {
                    long t = System.nanoTime();
                    s.mask(logits, remaining);
                    nanos += System.nanoTime() - t;
                }

                @Override
                public void accept(int token) {
                    long t = System.nanoTime();
                    s.accept(token);
                    nanos += System.nanoTime() - t;
                }

                @Override
                public boolean isComplete() {
                    return s.isComplete();
                }

                @Override
                public boolean isFinished() {
                    return s.isFinished();
                }
            };
        }
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 48;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        try (Model model = Model.load(file, new ModelOptions(threads, 1024, dev.chelsea.engine.backend.BackendChoice.CPU))) {
            Grammar g = JsonSchemaGrammar.compile("{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"]}");
            GrammarConstraint constraint = GrammarConstraint.of(g, model.tokenizer());
            int[] prompt = model.encodeText("Reply in JSON with one field, text.");
            GenerationRequest plain = new GenerationRequest(prompt, SamplingParams.GREEDY, tokens, List.of(), KvCacheConfig.full());
            Generator generator = new Generator(model);
            // warm-up: JIT, and the constraint's per-state masks (as for any schema used twice)
            generator.generate(plain, null, null);
            generator.generate(plain.withConstraint(constraint), null, null);
            List<Double> free = new ArrayList<>();
            List<Double> constrained = new ArrayList<>();
            List<Double> share = new ArrayList<>();
            System.out.printf("%s, %d threads, %d tokens per run, vocabulary %d%n%6s %10s %10s %8s %14s %12s%n", file.getFileName(), threads,
                    tokens, model.tokenizer().vocabularySize(), "round", "free t/s", "json t/s", "ratio", "constraint ms", "of decode");
            for (int r = 0; r < rounds; r++) {
                GenerationResult a = generator.generate(plain, null, null);
                Timed timed = new Timed(constraint);
                GenerationResult b = generator.generate(plain.withConstraint(timed), null, null);
                free.add(a.stats().decodeTokensPerSecond());
                constrained.add(b.stats().decodeTokensPerSecond());
                double perStep = timed.nanos / 1e6 / b.tokens().length;
                double decodeStep = 1000 / b.stats().decodeTokensPerSecond();
                share.add(perStep / decodeStep);
                System.out.printf("%6d %10.2f %10.2f %7.1f%% %14.3f %11.2f%%   (%d / %d tokens)%n", r, free.getLast(), constrained.getLast(),
                        100 * constrained.getLast() / free.getLast(), perStep, 100 * share.getLast(), a.tokens().length, b.tokens().length);
            }
            double f = median(free);
            double c = median(constrained);
            System.out.printf("median %10.2f %10.2f %7.1f%% %14s %11.2f%%%n", f, c, 100 * c / f, "", 100 * median(share));
        }
    }

    private static double median(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).sorted().toArray()[xs.size() / 2];
    }
}
