package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.kernel.MatMul;
import dev.chelsea.engine.kernel.Parallel;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A quick timing harness, not a test: matrix-vector and matrix-matrix products of a random
 * {@code rows x cols} matrix. Run after {@code mvn test-compile}:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes \
 *     dev.chelsea.engine.tensor.MatMulBenchmarkMain [types=Q8_0,Q4_0] [threads=1,2] [n=1,64,128,256] [rows=8192] [cols=2048]
 * </pre>
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
            GgmlType type = GgmlType.valueOf(name);
            MemorySegment data = RandomWeights.matrix(type, rows, cols, new SplittableRandom(42));
            if (type.blockSize == 1) {
                // The tests' plain-float values include float subnormals, which cost microcode
                // assists in every FMA; trained weights are not like that.
                realisticFloats(type, data, new SplittableRandom(43));
            } else {
                // Likewise the tests' random fp16 scales (subnormals and extremes included): in a
                // trained file they are normal halves of about 1e-4 to 1e-2.
                realisticScales(type, data, new SplittableRandom(44));
            }
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
        // Warm up until the kernels are compiled (on a busy machine the JIT's threads get little
        // time: 1.5 s and 200 calls at least), then keep the best of several short rounds: on a
        // shared machine the best round is the one least disturbed by other processes.
        long warmEnd = System.nanoTime() + 1_500_000_000L;
        for (int calls = 0; calls < 200 || System.nanoTime() < warmEnd; calls++) {
            MatMul.matMul(parallel, w, x, n, out);
        }
        double seconds = Double.MAX_VALUE;
        for (int round = 0; round < 8; round++) {
            int calls = 0;
            long start = System.nanoTime();
            long elapsed;
            do {
                MatMul.matMul(parallel, w, x, n, out);
                calls++;
                elapsed = System.nanoTime() - start;
            } while (elapsed < 60_000_000L);
            seconds = Math.min(seconds, elapsed * 1e-9 / calls);
        }
        double flops = 2.0 * w.rows() * w.cols() * n;
        double bytes = w.data().byteSize();
        System.out.printf("%-5s threads=%d n=%-4d %9.3f ms/call %8.1f GFLOP/s %7.1f GB/s of weights%s%n",
                w.type(), parallel.threads(), n, seconds * 1e3, flops / seconds * 1e-9, bytes / seconds * 1e-9,
                n > 1 ? String.format("  (%.0f vectors/s)", n / seconds) : "");
    }

    private static void realisticFloats(GgmlType type, MemorySegment data, SplittableRandom rnd) {
        long count = data.byteSize() / type.bytesPerBlock;
        for (long i = 0; i < count; i++) {
            float v = (float) (rnd.nextGaussian() * 0.02);
            switch (type) {
                case F32 -> data.set(Simd.FLOAT_LE, 4 * i, v);
                case F16 -> data.set(Simd.SHORT_LE, 2 * i, Float.floatToFloat16(v));
                case BF16 -> data.set(Simd.SHORT_LE, 2 * i, (short) (Float.floatToRawIntBits(v) >>> 16));
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
    }

    private static void realisticScales(GgmlType type, MemorySegment data, SplittableRandom rnd) {
        long blocks = data.byteSize() / type.bytesPerBlock;
        for (long b = 0; b < blocks; b++) {
            for (int field : RandomWeights.scaleFields(type)) {
                float v = (float) (Math.exp(rnd.nextDouble(Math.log(1e-4), Math.log(1e-2))) * (rnd.nextBoolean() ? 1 : -1));
                data.set(Simd.SHORT_LE, b * type.bytesPerBlock + field, Float.floatToFloat16(v));
            }
        }
    }

    private static String arg(String[] args, int i, String fallback) {
        return args.length > i ? args[i] : fallback;
    }

    private static int[] ints(String s) {
        return Arrays.stream(s.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
