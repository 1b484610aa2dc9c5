package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.kernel.MatMul;
import dev.chelsea.engine.kernel.Parallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@link MatMul#matMul} splits rows across threads. Every result must match the exact sums with one
 * thread and with three. From {@link PanelMatMul#MIN_VECTORS} vectors on, each row is computed by
 * the same lane-wise operations whichever thread gets it, so the two must agree bit for bit. (Below
 * that, the per-row dot products end in a lane reduction whose order differs between interpreted
 * and compiled code, so only the tolerance applies.)
 */
class ThreadedMatMulTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void oneAndThreeThreadsGiveTheSameResults(GgmlType type) {
        int rows = 301;
        // Big enough (301 x 512 x 1 multiply-adds) for MatMul to use the threads even for one vector.
        int cols = 512;
        WeightMatrixTest.Case c = WeightMatrixTest.Case.of(type, rows, cols);
        try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            for (int n : new int[]{1, 3, 7, 17, 70}) {
                float[] x = RandomWeights.activations(n * cols, c.rnd());
                float[] single = new float[n * rows];
                float[] threaded = new float[n * rows];
                MatMul.matMul(one, c.matrix(), x, n, single);
                MatMul.matMul(three, c.matrix(), x, n, threaded);
                for (int b = 0; b < n; b++) {
                    for (int r = 0; r < rows; r++) {
                        c.assertDot(single[b * rows + r], r, x, b * cols, "1 thread, n=" + n + " vector " + b);
                        c.assertDot(threaded[b * rows + r], r, x, b * cols, "3 threads, n=" + n + " vector " + b);
                    }
                }
                if (n >= PanelMatMul.MIN_VECTORS) {
                    assertArrayEquals(single, threaded, "1 vs 3 threads, n=" + n + ", " + c.where());
                }
            }
        }
    }
}
