package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.kernel.MatMul;
import dev.chelsea.engine.kernel.Parallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MatMul#matMul} splits rows across threads; each row is computed the same way whichever
 * thread gets it, so one and three threads must agree bit for bit, and both must match the
 * single-call result.
 */
class ThreadedMatMulTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void oneAndThreeThreadsGiveTheSameResults(GgmlType type) {
        long seed = RandomWeights.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int rows = 301;
        int cols = type.blockSize == 256 ? 512 : 320;
        MemorySegment data = RandomWeights.matrix(type, rows, cols, rnd);
        WeightMatrix w = TensorTypes.wrap(type, data, rows, cols, "random");
        try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            for (int n : new int[]{1, 3, 7, 17, 70}) {
                float[] x = RandomWeights.activations(n * cols, rnd);
                float[] single = new float[n * rows];
                float[] threaded = new float[n * rows];
                float[] direct = new float[n * rows];
                MatMul.matMul(one, w, x, n, single);
                MatMul.matMul(three, w, x, n, threaded);
                w.matMul(x, n, direct, rows, 0, rows);
                String where = type + " n=" + n + " seed " + seed;
                assertArrayEquals(single, threaded, "1 vs 3 threads, " + where);
                assertArrayEquals(direct, single, "MatMul vs WeightMatrix.matMul, " + where);
                for (float v : threaded) {
                    assertTrue(Float.isFinite(v), where);
                }
            }
        }
    }
}
