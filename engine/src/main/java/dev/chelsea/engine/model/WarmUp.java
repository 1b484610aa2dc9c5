package dev.chelsea.engine.model;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.tensor.WeightMatrix;

import java.time.Duration;
import java.util.Arrays;

/**
 * Runs a model's forward pass until the JIT has compiled it: prefills of a few prompt lengths
 * ({@link #promptLengths}: a CPU batch, the same less one narrowest tile of the batch kernels, a
 * short prompt), then decode steps, each repeated until its time stops improving or a time limit
 * passes.
 *
 * <p>Why: until C2 has compiled a kernel, the Vector API runs its Java fallback, which allocates an
 * array per operation and is tens of times slower. On two busy cores the compiler threads get
 * little time, so that phase lasts: a fresh JVM took 5 s to the first token of a 5-token prompt on
 * a Llama-3.2-1B Q4_K_M file, where a warm one takes a few hundredths of a second, and a JFR
 * allocation profile showed kernels still in the fallback 8 to 15 s after the model was loaded
 * (docs/performance.md, 2026-12-05). A service that warms up at load pays that before it is ready,
 * not in its first requests.
 */
public final class WarmUp {
    /** Consecutive measurements no better than {@link #NO_GAIN} times the best before a phase ends. */
    private static final int SETTLED = 3;
    private static final double NO_GAIN = 0.97;
    /** Decode steps per measurement: one step is too short to time on a busy machine. */
    private static final int STEPS = 8;

    /** What a warm-up did. */
    public record Report(int prefills, int decodeSteps, Duration spent) {
    }

    private WarmUp() {
    }

    /**
     * Warms up {@code model} on throwaway full-cache sessions (token ids 1, 2, ...), spending at most
     * about {@code limit} (one prefill or one block of decode steps may run past it).
     */
    public static Report run(Model model, Duration limit) {
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        int vocab = model.config().vocabSize();
        int prefills = 0;
        for (int n : promptLengths(model.contextLength(), WeightMatrix.tileVectors())) {
            int[] prompt = new int[n];
            for (int i = 0; i < n; i++) {
                prompt[i] = 1 + i % (vocab - 1);
            }
            prefills += prefills(model, prompt, deadline);
        }
        int steps = 0;
        Settling decode = new Settling();
        Session s = null;
        try {
            int token = 1;
            while (System.nanoTime() < deadline) {
                if (s == null || s.position() + STEPS > s.contextLength()) {
                    if (s != null) {
                        s.close();
                    }
                    s = model.newSession(KvCacheConfig.full());
                    s.prefill(new int[]{1});
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < STEPS; i++) {
                    token = s.decodeGreedy(token);
                }
                steps += STEPS;
                if (decode.settled(System.nanoTime() - t0)) {
                    break;
                }
            }
        } finally {
            if (s != null) {
                s.close();
            }
        }
        return new Report(prefills, steps, Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * The prompt lengths a warm-up prefills, in order, for a context of {@code context} tokens and
     * batch tiles of {@code tile} vectors: each takes other kernels. A batch of 128 (tiles of three,
     * three and two lane vectors), the same less one narrowest tile (which it ends in), and a short
     * prompt (the kernels of a few vectors). Measured: after batches of 128 alone, a 5-token prompt
     * still took 0.7-1.1 s; without the second, the first 16-token prompt after the warm-up took
     * 447 ms and the next ones 160-200 (Q4_0, AMD EPYC, 2026-12-05). A context too short for those
     * gets the whole context, tiles of two and one lane vectors and the short prompt instead: with a
     * quarter of the context (as before), {@code bench --prompt-tokens 16} (context 17) warmed up a
     * 4-token prompt only and timed the compilation of the batch kernel, 334 ms against 206 ms
     * once warm (Q4_K_M, AMD EPYC, 2026-12-05).
     */
    static int[] promptLengths(int context, int tile) {
        int[] wanted = context >= 128 ? new int[]{128, 128 - tile, 6} : new int[]{context, 2 * tile, tile, 6};
        return Arrays.stream(wanted).map(n -> Math.max(1, Math.min(n, context))).distinct().toArray();
    }

    /** Prefills {@code prompt} in fresh sessions until the time settles or the deadline passes; returns how many. */
    private static int prefills(Model model, int[] prompt, long deadline) {
        int n = 0;
        Settling settling = new Settling();
        while (System.nanoTime() < deadline) {
            try (Session s = model.newSession(KvCacheConfig.full())) {
                long t0 = System.nanoTime();
                s.prefill(prompt);
                n++;
                if (settling.settled(System.nanoTime() - t0)) {
                    break;
                }
            }
        }
        return n;
    }

    /** Whether a series of timings has stopped improving. */
    private static final class Settling {
        private long best = Long.MAX_VALUE;
        private int withoutGain;

        boolean settled(long nanos) {
            if (nanos < NO_GAIN * best) {
                withoutGain = 0;
            } else {
                withoutGain++;
            }
            best = Math.min(best, nanos);
            return withoutGain >= SETTLED;
        }
    }
}
