package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.kernel.MatMul;
import dev.chelsea.engine.kernel.Parallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@link MatMul#matMul} splits rows across threads. Every result must match the exact sums with one
 * thread and with three. From {@link WeightMatrix#batchFrom} vectors on, each row is computed by
 * the same lane-wise operations whichever thread gets it, so the two must agree bit for bit. (Below
 * that, the per-row dot products of the float kernels end in a lane reduction whose order differs
 * between interpreted and compiled code, so only the tolerance applies. The integer kernels have
 * one row per lane and activations quantized once per product: bit for bit at every count.)
 */
class ThreadedMatMulTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
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
                        c.assertProduct(single[b * rows + r], r, x, b * cols, n, "1 thread, n=" + n + " vector " + b);
                        c.assertProduct(threaded[b * rows + r], r, x, b * cols, n, "3 threads, n=" + n + " vector " + b);
                    }
                }
                if (n >= c.matrix().batchFrom() || c.matrix().integerKernels(n)) {
                    assertArrayEquals(single, threaded, "1 vs 3 threads, n=" + n + ", " + c.where());
                }
            }
        }
    }

    /**
     * Matrices that share an input run as one job over all their rows, on one packed copy of the
     * input: each output must equal the matrix's own product, bit for bit from the panel kernel on.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_0", "Q6_K"})
    void fusedProductsEqualSeparateOnes(GgmlType type) {
        fusedProductsEqualSeparateOnes(type, type, type);
    }

    /**
     * A fused product whose matrices need float and 8-bit activations both (as in Q4_K_M files), and
     * at one count both layouts of the 8-bit ones: Q4_K still by vector where Q6_K takes the batch.
     */
    @org.junit.jupiter.api.Test
    void fusedProductsOfMixedTypesEqualSeparateOnes() {
        fusedProductsEqualSeparateOnes(GgmlType.Q4_K, GgmlType.Q8_0, GgmlType.Q6_K);
    }

    private void fusedProductsEqualSeparateOnes(GgmlType ta, GgmlType tb, GgmlType tc) {
        int cols = 512;
        WeightMatrixTest.Case a = WeightMatrixTest.Case.of(ta, 150, cols);
        WeightMatrixTest.Case b = WeightMatrixTest.Case.of(tb, 37, cols);
        WeightMatrixTest.Case c = WeightMatrixTest.Case.of(tc, 64, cols);
        WeightMatrix[] ws = {a.matrix(), b.matrix(), c.matrix()};
        // A count below one matrix's batch point and at or above the others' (where they differ).
        int mixed = Math.max(a.matrix().batchFrom(), Math.max(b.matrix().batchFrom(), c.matrix().batchFrom())) - 1;
        try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            for (int n : new int[]{1, 4, mixed, 17, 128, 300}) {
                float[] x = RandomWeights.activations(n * cols, a.rnd());
                float[][] fused = {new float[n * 150], new float[n * 37], new float[n * 64]};
                MatMul.matMul(three, x, n, ws, fused);
                for (int i = 0; i < ws.length; i++) {
                    float[] separate = new float[n * ws[i].rows()];
                    MatMul.matMul(one, ws[i], x, n, separate);
                    WeightMatrixTest.Case ci = i == 0 ? a : i == 1 ? b : c;
                    for (int v = 0; v < n; v++) {
                        for (int r = 0; r < ws[i].rows(); r++) {
                            ci.assertProduct(fused[i][v * ws[i].rows() + r], r, x, v * cols, n, "fused matrix " + i + ", n=" + n + " vector " + v);
                        }
                    }
                    if (n >= ws[i].batchFrom() || ws[i].integerKernels(n)) {
                        assertArrayEquals(separate, fused[i], "fused vs separate, matrix " + i + ", n=" + n + ", " + ci.where());
                    }
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void fusedProductsRefuseMatricesOfDifferentWidths() {
        WeightMatrix[] ws = {WeightMatrixTest.Case.of(GgmlType.Q8_0, 8, 64).matrix(), WeightMatrixTest.Case.of(GgmlType.Q8_0, 8, 96).matrix()};
        try (Parallel one = new Parallel(1)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> MatMul.matMul(one, new float[96], 1, ws, new float[][]{new float[8], new float[8]}));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("same columns"), e.getMessage());
        }
    }
}
