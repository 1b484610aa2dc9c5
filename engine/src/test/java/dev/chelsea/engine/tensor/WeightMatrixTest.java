package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every storage type against {@link ReferenceDecoder} on random blocks. Shapes are chosen to miss
 * every multiple the kernels work in: columns are odd numbers of blocks (or, for plain floats, not a
 * multiple of any vector width) and span a partial column chunk; rows are not a multiple of the
 * panel and cross a row group.
 *
 * <p>Dot products must be within {@value #TOLERANCE} of the sum of {@code |w * x|} of the exact
 * float64 result; dequantized values must be exactly the float nearest the exact value, as ggml
 * computes them. Products of the types with integer kernels ({@link WeightMatrix#integerKernels})
 * run on activations rounded to 8 bits, each within half a step {@code d / 2} of its value
 * ({@code d = max|x| / 127} of its block of 32): they may differ from the exact result by the sum
 * of {@code |w| d / 2} more (the float arithmetic of that rounding adds a relative 1e-4 to the
 * half step). {@link IntegerKernelTest} checks them against the rounded activations, tightly.
 */
class WeightMatrixTest {
    private static final double TOLERANCE = 1e-5;
    private static final int ROWS = 101;
    private static final int[] VECTOR_COUNTS = {1, 3, 7, 17, 70};

    static Stream<GgmlType> types() {
        return TensorTypes.SUPPORTED.stream();
    }

    /** Columns: 19 blocks of 32 (608), 3 super-blocks of 256 (768), or 613 plain values. */
    static int cols(GgmlType type) {
        return switch (type.blockSize) {
            case 1 -> 613;
            case 32 -> 19 * 32;
            case 256 -> 3 * 256;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** A random matrix with its exact values, and how to say which one it was. */
    record Case(GgmlType type, long seed, WeightMatrix matrix, double[][] exact, SplittableRandom rnd) {
        static Case of(GgmlType type, int rows, int cols) {
            long seed = RandomWeights.seed();
            SplittableRandom rnd = new SplittableRandom(seed);
            MemorySegment data = RandomWeights.matrix(type, rows, cols, rnd);
            WeightMatrix w = TensorTypes.wrap(type, data, rows, cols, "random");
            double[][] exact = new double[rows][];
            for (int r = 0; r < rows; r++) {
                exact[r] = ReferenceDecoder.row(type, data, cols, r);
            }
            return new Case(type, seed, w, exact, rnd);
        }

        String where() {
            return type + " " + matrix.rows() + "x" + matrix.cols() + " seed " + seed + " (replay with -Dchelsea.seed=" + seed + ")";
        }

        /** A product from {@code matMul}: {@link #assertDot}, plus the 8-bit rounding of the activations for integer kernels. */
        void assertProduct(double got, int row, float[] x, int xOff, int n, String what) {
            if (!matrix.integerKernels(n)) {
                assertDot(got, row, x, xOff, what);
                return;
            }
            double[] w = exact[row];
            double sum = 0;
            double abs = 0;
            double rounding = 0;
            for (int b = 0; b < w.length; b += 32) {
                double amax = 0;
                for (int k = b; k < b + 32; k++) {
                    amax = Math.max(amax, Math.abs(x[xOff + k]));
                }
                for (int k = b; k < b + 32; k++) {
                    sum += w[k] * x[xOff + k];
                    abs += Math.abs(w[k] * x[xOff + k]);
                    rounding += Math.abs(w[k]) * 0.5001 * amax / 127;
                }
            }
            double err = Math.abs(got - sum);
            double allowed = rounding + TOLERANCE * abs + 1e-30;
            if (!(err <= allowed)) {
                fail(what + " row " + row + ": got " + got + ", expected " + sum + " (error " + err
                        + ", allowed " + allowed + " of which 8-bit rounding " + rounding + "), " + where());
            }
        }

        /**
         * Rows {@code [r0, r1)} of {@code n} vectors in {@code out} (stride {@code stride}) are their
         * products ({@link #assertDot} if {@code exact}, else {@link #assertProduct}), and every other
         * entry is still NaN.
         */
        void assertRows(float[] out, int stride, int r0, int r1, float[] x, int n, boolean exact, String what) {
            int cols = matrix.cols();
            String range = what + " rows [" + r0 + ", " + r1 + ") n=" + n;
            for (int b = 0; b < n; b++) {
                for (int r = 0; r < stride; r++) {
                    float v = out[b * stride + r];
                    if (r < r0 || r >= r1) {
                        assertTrue(Float.isNaN(v), range + " wrote row " + r + " of vector " + b + ", " + where());
                    } else if (exact) {
                        assertDot(v, r, x, b * cols, range + " vector " + b);
                    } else {
                        assertProduct(v, r, x, b * cols, n, range + " vector " + b);
                    }
                }
            }
        }

        void assertDot(double got, int row, float[] x, int xOff, String what) {
            double sum = 0;
            double abs = 0;
            double[] w = exact[row];
            for (int k = 0; k < w.length; k++) {
                sum += w[k] * x[xOff + k];
                abs += Math.abs(w[k] * x[xOff + k]);
            }
            double err = Math.abs(got - sum);
            if (!(err <= TOLERANCE * abs + 1e-30)) {
                fail(what + " row " + row + ": got " + got + ", expected " + sum + " (error " + err
                        + ", allowed " + TOLERANCE * abs + "), " + where());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void dequantizeRowIsTheNearestFloatOfTheExactValue(GgmlType type) {
        Case c = Case.of(type, ROWS, cols(type));
        int cols = c.matrix.cols();
        float[] row = new float[cols + 5];
        for (int r = 0; r < ROWS; r++) {
            Arrays.fill(row, Float.NaN);
            c.matrix.dequantizeRow(r, row, 3);
            for (int k = 0; k < cols; k++) {
                float expected = (float) c.exact[r][k];
                if (Float.floatToIntBits(row[3 + k]) != Float.floatToIntBits(expected)) {
                    fail("row " + r + " col " + k + ": got " + row[3 + k] + ", expected " + expected + ", " + c.where());
                }
            }
            assertTrue(Float.isNaN(row[2]) && Float.isNaN(row[3 + cols]), "wrote outside its range, " + c.where());
        }
    }

    /**
     * The one-row dot and the four-row one of every type, whatever the products of this JVM's width
     * take: Q8_0's {@code dot4} reads the copy's layout where that exists (8 lanes or fewer), where
     * products run on integers, so that no product exercises it there.
     */
    @ParameterizedTest
    @MethodSource("types")
    void dotAndDot4MatchExactSums(GgmlType type) {
        Case c = Case.of(type, ROWS, cols(type));
        int cols = c.matrix.cols();
        float[] x = RandomWeights.activations(cols + 9, c.rnd);
        for (int r = 0; r < ROWS; r++) {
            int xOff = r % 10;
            c.assertDot(c.matrix.dot(r, x, xOff), r, x, xOff, "dot");
        }
        int stride = ROWS / 4;
        float[] out = new float[ROWS + 2];
        for (int r = 0; r < stride; r++) {
            int xOff = r % 10;
            Arrays.fill(out, Float.NaN);
            c.matrix.dot4(r, stride, x, xOff, out, 1);
            for (int i = 0; i < 4; i++) {
                c.assertDot(out[1 + r + i * stride], r + i * stride, x, xOff, "dot4");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void matMulMatchesExactSums(GgmlType type) {
        Case c = Case.of(type, ROWS, cols(type));
        int cols = c.matrix.cols();
        for (int n : VECTOR_COUNTS) {
            float[] x = RandomWeights.activations(n * cols, c.rnd);
            float[] out = new float[n * ROWS];
            c.matrix.matMul(x, n, out, ROWS, 0, ROWS);
            for (int b = 0; b < n; b++) {
                for (int r = 0; r < ROWS; r++) {
                    c.assertProduct(out[b * ROWS + r], r, x, b * cols, n, "matMul n=" + n + " vector " + b);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void matMulOnARowRangeWritesOnlyThoseRows(GgmlType type) {
        Case c = Case.of(type, ROWS, cols(type));
        int cols = c.matrix.cols();
        int stride = ROWS + 3;
        for (int n : new int[]{2, 17}) {
            float[] x = RandomWeights.activations(n * cols, c.rnd);
            float[] out = new float[n * stride];
            Arrays.fill(out, Float.NaN);
            int r0 = 7;
            int r1 = 90;
            c.matrix.matMul(x, n, out, stride, r0, r1);
            c.assertRows(out, stride, r0, r1, x, n, false, "matMul");
        }
    }

    /**
     * Packed float activations, as {@code MatMul} hands a batch to the types that take it on floats
     * ({@link FloatBatches}), run by every type whatever this JVM picks: for the interleaved formats
     * the float kernels on panels decoded from their integer ones ({@link InterleavedFloatMatMul}),
     * so exact to float rounding, with no 8-bit activations. Counts that end in each block width
     * of the packing; a row range that starts and ends inside a group of rows.
     */
    @ParameterizedTest
    @MethodSource("types")
    void matMulOnPackedActivationsMatchesExactSums(GgmlType type) {
        Case c = Case.of(type, ROWS, cols(type));
        int cols = c.matrix.cols();
        int stride = ROWS + 3;
        int l = Simd.F_LANES;
        for (int n : new int[]{1, l + 1, 3 * l - 1, 7 * l - 3}) {
            float[] x = RandomWeights.activations(n * cols, c.rnd);
            PackedActivations a = new PackedActivations();
            a.reset(n, cols);
            a.pack(x, 0, cols);
            float[] out = new float[n * stride];
            Arrays.fill(out, Float.NaN);
            int r0 = 3;
            int r1 = 90;
            c.matrix.matMul(a, out, stride, r0, r1);
            c.assertRows(out, stride, r0, r1, x, n, true, "packed matMul");
        }
    }

    /** More vectors than one pass of the panel product takes (its transposed copy is bounded). */
    @ParameterizedTest
    @MethodSource("types")
    void matMulWithMoreVectorsThanOnePass(GgmlType type) {
        int rows = 13;
        Case c = Case.of(type, rows, type.blockSize == 256 ? 256 : 64);
        int cols = c.matrix.cols();
        int n = 300;
        float[] x = RandomWeights.activations(n * cols, c.rnd);
        float[] out = new float[n * rows];
        c.matrix.matMul(x, n, out, rows, 0, rows);
        for (int b = 0; b < n; b++) {
            for (int r = 0; r < rows; r++) {
                c.assertProduct(out[b * rows + r], r, x, b * cols, n, "matMul n=" + n + " vector " + b);
            }
        }
    }

    /** A single row, a single block and a single value: the smallest shapes every loop must survive. */
    @ParameterizedTest
    @MethodSource("types")
    void smallestShapes(GgmlType type) {
        for (int rows : new int[]{1, 5}) {
            Case c = Case.of(type, rows, type.blockSize);
            int cols = type.blockSize;
            float[] x = RandomWeights.activations(8 * cols, c.rnd);
            float[] out = new float[8 * rows];
            c.matrix.matMul(x, 8, out, rows, 0, rows);
            for (int b = 0; b < 8; b++) {
                for (int r = 0; r < rows; r++) {
                    c.assertProduct(out[b * rows + r], r, x, b * cols, 8, "matMul n=8");
                    c.assertDot(c.matrix.dot(r, x, b * cols), r, x, b * cols, "dot");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void rejectsShapesThatAreNotWholeBlocksOrDoNotFitTheData(GgmlType type) {
        MemorySegment data = MemorySegment.ofArray(new byte[4 * type.bytesPerBlock]);
        if (type.blockSize > 1) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TensorTypes.wrap(type, data, 1, type.blockSize + 1, "t"));
            assertTrue(e.getMessage().contains("'t'") && e.getMessage().contains("whole blocks"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorTypes.wrap(type, data, 5, type.blockSize, "t"));
        assertTrue(e.getMessage().contains("bytes"), e.getMessage());
    }

    @Test
    void matMulRejectsArraysTooSmall() {
        Case c = Case.of(GgmlType.Q8_0, 12, 64);
        float[] x = new float[3 * 64];
        assertThrows(IllegalArgumentException.class, () -> c.matrix.matMul(x, 4, new float[48], 12, 0, 12));
        assertThrows(IllegalArgumentException.class, () -> c.matrix.matMul(x, 3, new float[35], 12, 0, 12));
        assertThrows(IllegalArgumentException.class, () -> c.matrix.matMul(x, 3, new float[36], 12, 0, 13));
        c.matrix.matMul(x, 3, new float[36], 12, 0, 12);
    }

    @Test
    void supportedTypesAreTheOnesWithClasses() {
        for (GgmlType type : GgmlType.values()) {
            MemorySegment data = MemorySegment.ofArray(new byte[type.bytesPerBlock]);
            if (TensorTypes.SUPPORTED.contains(type)) {
                assertEquals(type, TensorTypes.wrap(type, data, 1, type.blockSize, "t").type());
            } else {
                assertThrows(UnsupportedTensorTypeException.class, () -> TensorTypes.wrap(type, data, 1, type.blockSize, "t"));
            }
        }
    }
}
