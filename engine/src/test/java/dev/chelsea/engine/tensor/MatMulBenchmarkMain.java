package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.kernel.MatMul;
import dev.chelsea.engine.kernel.Parallel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A quick timing harness, not a test: matrix-vector and matrix-matrix products of a
 * {@code rows x cols} matrix of random weights quantized as trained ones are (see
 * {@link #trainedLike}). Run after {@code mvn test-compile}:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes \
 *     dev.chelsea.engine.tensor.MatMulBenchmarkMain [types=Q8_0,Q4_0] [threads=1,2] [n=1,64,128,256] [rows=8192] [cols=2048]
 * </pre>
 *
 * The types {@code ACT32} and {@code ACT256} time the quantization of {@code n} activation vectors
 * of {@code cols} values instead (a scale per 32 or per 256 values, {@link QuantizedActivations};
 * one vector by vector, more in the batch layout), on the calling thread.
 *
 * Each measurement warms up (1.5 s and 200 calls at least), then reports the best of eight rounds of
 * about 60 ms; keep runs short on shared machines.
 */
public final class MatMulBenchmarkMain {
    private MatMulBenchmarkMain() {
    }

    public static void main(String[] args) {
        String[] types = arg(args, 0, "Q8_0,Q4_0").split(",");
        int[] threads = ints(arg(args, 1, "1,2"));
        int[] counts = ints(arg(args, 2, "1,64,128,256"));
        int rows = Integer.parseInt(arg(args, 3, "8192"));
        int cols = Integer.parseInt(arg(args, 4, "2048"));
        System.out.printf("float species %s, %d x %d%n", Simd.F, rows, cols);
        for (String name : types) {
            if (name.startsWith("ACT")) {
                for (int n : counts) {
                    measureQuantization(name.equals("ACT256"), n, cols);
                }
                continue;
            }
            GgmlType type = GgmlType.valueOf(name);
            MemorySegment data = trainedLike(type, rows, cols);
            WeightMatrix w = TensorTypes.wrap(type, data, rows, cols, "bench");
            for (int t : threads) {
                try (Parallel parallel = new Parallel(t)) {
                    for (int n : counts) {
                        measure(w, parallel, n);
                    }
                }
            }
        }
    }

    private static void measure(WeightMatrix w, Parallel parallel, int n) {
        float[] x = RandomWeights.activations(n * w.cols(), new SplittableRandom(7));
        float[] out = new float[n * w.rows()];
        double seconds = bestSeconds(200, () -> MatMul.matMul(parallel, w, x, n, out));
        double flops = 2.0 * w.rows() * w.cols() * n;
        double bytes = w.data().byteSize();
        System.out.printf("%-5s threads=%d n=%-4d %9.3f ms/call %8.1f GFLOP/s %7.1f GB/s of weights%s%n",
                w.type(), parallel.threads(), n, seconds * 1e3, flops / seconds * 1e-9, bytes / seconds * 1e-9,
                n > 1 ? String.format("  (%.0f vectors/s)", n / seconds) : "");
    }

    private static void measureQuantization(boolean superBlocks, int n, int cols) {
        float[] x = RandomWeights.activations(n * cols, new SplittableRandom(7));
        QuantizedActivations q = new QuantizedActivations();
        q.reset(n, cols, n > 1, superBlocks);
        double seconds = bestSeconds(2000, () -> q.quantize(x));
        System.out.printf("%-6s n=%-4d %s %9.3f us/call %6.3f ns a value%n", superBlocks ? "ACT256" : "ACT32", n,
                n > 1 ? "batch    " : "by vector", seconds * 1e6, seconds * 1e9 / n / cols);
    }

    /**
     * Warms up until the code is compiled (on a busy machine the JIT's threads get little time: 1.5 s
     * and {@code warmCalls} calls at least), then returns the best of eight rounds of about 60 ms, in
     * seconds a call: on a shared machine the best round is the one least disturbed by other processes.
     */
    private static double bestSeconds(int warmCalls, Runnable call) {
        long warmEnd = System.nanoTime() + 1_500_000_000L;
        for (int calls = 0; calls < warmCalls || System.nanoTime() < warmEnd; calls++) {
            call.run();
        }
        double seconds = Double.MAX_VALUE;
        for (int round = 0; round < 8; round++) {
            int calls = 0;
            long start = System.nanoTime();
            long elapsed;
            do {
                call.run();
                calls++;
                elapsed = System.nanoTime() - start;
            } while (elapsed < 60_000_000L);
            seconds = Math.min(seconds, elapsed * 1e-9 / calls);
        }
        return seconds;
    }

    /**
     * A matrix of weights like trained ones, normal with standard deviation 0.02, quantized as
     * llama.cpp does ({@link Quantizer}). The tests' random blocks are no model for speed: their
     * float subnormals and extreme scales cost microcode assists, and their scales are not those
     * that quantizing gives (subnormal halves for the {@code d} of Q6_K and Q5_K, normal ones
     * elsewhere), which matters as much the other way round. The first 256 rows are quantized and
     * repeated (quantizing a whole large matrix takes minutes); the copies are distinct memory.
     */
    private static MemorySegment trainedLike(GgmlType type, int rows, int cols) {
        int distinct = Math.min(rows, 256);
        SplittableRandom rnd = new SplittableRandom(42);
        float[] values = new float[distinct * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rnd.nextGaussian() * 0.02);
        }
        byte[] block = Quantizer.quantize(type, values, 0, values.length);
        MemorySegment data = Arena.ofAuto().allocate((long) block.length / distinct * rows, 64);
        for (long at = 0; at < data.byteSize(); at += block.length) {
            MemorySegment.copy(block, 0, data, ValueLayout.JAVA_BYTE, at, (int) Math.min(block.length, data.byteSize() - at));
        }
        return data;
    }

    private static String arg(String[] args, int i, String fallback) {
        return args.length > i ? args[i] : fallback;
    }

    private static int[] ints(String s) {
        return Arrays.stream(s.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
