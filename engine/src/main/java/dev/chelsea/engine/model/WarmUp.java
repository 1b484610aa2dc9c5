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

    /**
     * Bytes a decode step may allocate (all threads) once its kernels are compiled: about 30 KB on a
     * Llama-3.2-1B file (the products' task objects). The Vector API's Java fallback allocates an
     * array per vector operation: a step with one kernel operation left in it allocated about 3 MB,
     * with whole kernels in it 32-600 MB (docs/performance.md).
     */
    static final long COMPILED_STEP_BYTES = 1 << 20;

    private static final System.Logger LOG = System.getLogger(WarmUp.class.getName());

    /**
     * What a warm-up did. {@code decodeBytesPerStep} is what a decode step allocated after it (all
     * threads, the smaller of two blocks of steps), or -1 if no step ran or the JVM cannot tell;
     * above {@link #COMPILED_STEP_BYTES}, some kernel runs in the Vector API's fallback
     * ({@link #kernelsInFallback}).
     */
    public record Report(int prefills, int decodeSteps, Duration spent, long decodeBytesPerStep) {
        /** Whether decode steps still allocated as only the Vector API's Java fallback does. */
        public boolean kernelsInFallback() {
            return decodeBytesPerStep > COMPILED_STEP_BYTES;
        }

        /** {@code ", 28.1 KiB allocated per decode step"} for a line about the warm-up, or empty where the JVM could not tell. */
        public String allocationText() {
            return decodeBytesPerStep < 0 ? "" : ", " + Bytes.human(decodeBytesPerStep) + " allocated per decode step";
        }
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
        long bytesPerStep = -1;
        Settling decode = new Settling();
        try (DecodeSession d = new DecodeSession(model)) {
            int token = 1;
            while (System.nanoTime() < deadline) {
                Session s = d.ready();
                long t0 = System.nanoTime();
                for (int i = 0; i < STEPS; i++) {
                    token = s.decodeGreedy(token);
                }
                steps += STEPS;
                if (decode.settled(System.nanoTime() - t0)) {
                    break;
                }
            }
            if (steps > 0) {
                // The smaller of two blocks, so that a cache growing its arrays in one is not counted.
                for (int block = 0; block < 2; block++) {
                    Session s = d.ready();
                    long a0 = Allocations.total();
                    for (int i = 0; i < STEPS; i++) {
                        token = s.decodeGreedy(token);
                    }
                    long a1 = Allocations.total();
                    steps += STEPS;
                    if (a0 >= 0 && a1 >= a0) {
                        long perStep = (a1 - a0) / STEPS;
                        bytesPerStep = bytesPerStep < 0 ? perStep : Math.min(bytesPerStep, perStep);
                    }
                }
            }
        }
        Report report = new Report(prefills, steps, Duration.ofNanos(System.nanoTime() - start), bytesPerStep);
        if (report.kernelsInFallback()) {
            LOG.log(System.Logger.Level.WARNING, () -> String.format("Model '%s': after the warm-up a decode step still allocates %s "
                    + "(a compiled one under %s): some vector kernel runs in the Vector API's Java fallback, which C2 sometimes "
                    + "leaves in place in a large kernel, and decoding may run at a fraction of its speed. A new JVM usually "
                    + "compiles it; see docs/performance.md.", model.name(), Bytes.human(report.decodeBytesPerStep()),
                    Bytes.human(COMPILED_STEP_BYTES)));
        }
        return report;
    }

    /** The throwaway full-cache session decode steps run in, renewed before it fills up. */
    private static final class DecodeSession implements AutoCloseable {
        private final Model model;
        private Session session;

        DecodeSession(Model model) {
            this.model = model;
        }

        /** A session with room for {@link #STEPS} more tokens (one token in it when fresh). */
        Session ready() {
            if (session != null && session.position() + STEPS <= session.contextLength()) {
                return session;
            }
            close();
            Session fresh = model.newSession(KvCacheConfig.full());
            try {
                fresh.prefill(new int[]{1});
            } catch (RuntimeException e) {
                fresh.close();
                throw e;
            }
            session = fresh;
            return fresh;
        }

        @Override
        public void close() {
            if (session != null) {
                session.close();
                session = null;
            }
        }
    }

    /**
     * The prompt lengths a warm-up prefills, in order, for a context of {@code context} tokens and
     * batch tiles of {@code tile} vectors: each takes other kernels. A batch of 128 (tiles of three,
     * three and two lane vectors), the same less one narrowest tile (which it ends in), one tile
     * (the batch kernel's eight rows a call, {@code QuantizedPanelMatMul.kernel1x8}) and a short
     * prompt (the kernels of a few vectors). Measured: after batches of 128 alone, a 5-token prompt
     * still took 0.7-1.1 s; without the second, the first 16-token prompt after the warm-up took
     * 447 ms and the next ones 160-200 (Q4_0, AMD EPYC, 2026-12-05). A context too short for those
     * gets the whole context, tiles of two and one lane vectors and the short prompt instead: with a
     * quarter of the context (as before), {@code bench --prompt-tokens 16} (context 17) warmed up a
     * 4-token prompt only and timed the compilation of the batch kernel, 334 ms against 206 ms
     * once warm (Q4_K_M, AMD EPYC, 2026-12-05). The short prompt has 9 tokens (6 until
     * 2026-12-07): Q4_0's few-vector batch kernel ({@code Q4_0Matrix.tileGemv}) then takes both its
     * eight- and its four-vector pass, and Q4_K's two-vector kernel its odd vector: C2 compiles a
     * branch that its profile never saw taken as a trap, and the first prompt to take it would
     * deoptimize the kernel and run it in the interpreter until it is compiled again. One tile
     * joined the lengths for contexts of 128 and more on 2026-12-07: the first 16-token prompt after
     * a warm-up without it took 509 ms and the next ones 134-170 (Q4_0, AMD EPYC Zen 5, context 4096).
     */
    static int[] promptLengths(int context, int tile) {
        int[] wanted = context >= 128 ? new int[]{128, 128 - tile, tile, 9} : new int[]{context, 2 * tile, tile, 9};
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
