package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The integer kernels ({@link InterleavedMatrix}: one vector at a time, and batches through
 * {@link QuantizedPanelMatMul}) against float64 sums of the exactly dequantized weights times the
 * 8-bit activations, quantized here by the documented rule written out independently. Integer sums
 * are exact, so the only error allowed is float rounding in the scales: {@value #TOLERANCE} of the
 * sum of {@code |w q d|}. (How far that is from the float activations is checked in
 * {@link WeightMatrixTest}.) Rows are not a multiple of the row group, batches not a multiple of
 * the tiles; one test fills every accumulator to its documented limit.
 */
class IntegerKernelTest {
    private static final double TOLERANCE = 1e-5;
    private static final int ROWS = 101;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static Stream<GgmlType> types() {
        return TensorTypes.SUPPORTED.stream().filter(t -> wrap(t, MemorySegment.ofArray(new byte[t.bytesPerBlock * 256]), 1, t.blockSize).integerKernels(1));
    }

    /**
     * Whether {@code w} multiplies batches on 8-bit activations too ({@link QuantizedPanelMatMul}):
     * the {@link InterleavedMatrix} formats do; Q8_0 multiplies only a few vectors so, its batches
     * run on floats ({@link WeightMatrixTest}).
     */
    static boolean takesBatchLayout(WeightMatrix w) {
        return w.integerKernels(QuantizedActivations.MAX_VECTORS);
    }

    private static WeightMatrix wrap(GgmlType type, MemorySegment data, int rows, int cols) {
        return TensorTypes.wrap(type, data, rows, cols, "test");
    }

    /**
     * {@code d = max|x| / 127} per block of {@code group} values (32, or 256 for
     * {@link WeightMatrix#superBlockActivations}) and {@code q = rint(x * (127 / max|x|))}, as
     * floats; returns {@code d q}.
     */
    static double[] dequantizedActivations(float[] x, int off, int cols, int group) {
        double[] y = new double[cols];
        for (int b = 0; b < cols; b += group) {
            float amax = 0;
            for (int i = 0; i < group; i++) {
                amax = Math.max(amax, Math.abs(x[off + b + i]));
            }
            float d = amax / 127f;
            float id = amax > 0 ? 127f / amax : 0f;
            for (int i = 0; i < group; i++) {
                y[b + i] = (double) d * Math.rint(x[off + b + i] * id);
            }
        }
        return y;
    }

    /** The values that share a scale in the activations {@code w} multiplies. */
    static int scaleGroup(WeightMatrix w) {
        return w.superBlockActivations() ? 256 : 32;
    }

    private static void assertMatches(double[][] w, float[] x, int n, int group, float[] out, int outStride, String where) {
        int cols = w[0].length;
        for (int j = 0; j < n; j++) {
            double[] xq = dequantizedActivations(x, j * cols, cols, group);
            for (int r = 0; r < w.length; r++) {
                double sum = 0;
                double abs = 0;
                for (int k = 0; k < cols; k++) {
                    sum += w[r][k] * xq[k];
                    abs += Math.abs(w[r][k] * xq[k]);
                }
                double got = out[j * outStride + r];
                if (!(Math.abs(got - sum) <= TOLERANCE * abs + 1e-30)) {
                    fail("vector " + j + " row " + r + ": got " + got + ", expected " + sum + " (allowed "
                            + TOLERANCE * abs + "), " + where);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 70})
    void quantizedValuesAreWithinHalfAStep(int n) {
        quantizedValuesAreWithinHalfAStep(n, false);
        quantizedValuesAreWithinHalfAStep(n, true);
    }

    /** With one scale per 256 values, every block of a super-block has the scale of its largest value. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 27})
    void superBlocksShareTheScaleOfTheirLargestValue(int n) {
        quantizedValuesAreWithinHalfAStep(n, false, true);
        quantizedValuesAreWithinHalfAStep(n, true, true);
    }

    private void quantizedValuesAreWithinHalfAStep(int n, boolean batch) {
        quantizedValuesAreWithinHalfAStep(n, batch, false);
    }

    private void quantizedValuesAreWithinHalfAStep(int n, boolean batch, boolean superBlocks) {
        long seed = RandomWeights.seed();
        int group = superBlocks ? 256 : 32;
        int cols = 3 * group;
        float[] x = RandomWeights.activations(n * cols, new SplittableRandom(seed));
        x[5] = 0;
        Arrays.fill(x, group, 2 * group, 0f); // a group of zeros: scale 0, values 0
        x[2 * group + 7] = 40f; // one large value sets its group's scale
        QuantizedActivations a = new QuantizedActivations();
        a.reset(n, cols, batch, superBlocks);
        a.quantize(x);
        for (int j = 0; j < n; j++) {
            for (int b = 0; b < cols / 32; b++) {
                float d = a.scales[index(a, j, b, cols / 32)];
                int g0 = j * cols + b * 32 / group * group;
                float amax = 0;
                for (int i = g0; i < g0 + group; i++) {
                    amax = Math.max(amax, Math.abs(x[i]));
                }
                assertEquals(amax / 127f, d, "scale of block " + b + " of vector " + j + ", seed " + seed);
                double sum0 = 0;
                double sum1 = 0;
                int[] octets = new int[4];
                for (int i = 0; i < 32; i++) {
                    int k = b * 16 + i / 2;
                    int pair = a.pairs[index(a, j, k, cols / 2)];
                    int q;
                    if (batch && PairProducts.batch() == PairProducts.INT16) {
                        // Pair k is q[2k] | q[2k + 1] << 16: two exact 16-bit halves.
                        q = i % 2 == 0 ? (short) pair : pair >> 16;
                    } else {
                        // Pair k is q[2k + 1] + 65536 q[2k], both in [-127, 127].
                        int hi = Math.round(pair / 65536f);
                        q = i % 2 == 0 ? hi : pair - 65536 * hi;
                    }
                    assertEquals(q, a.value(j, b * 32 + i), "value " + (b * 32 + i) + " of vector " + j);
                    assertTrue(Math.abs(q) <= 127, "q = " + q);
                    double err = Math.abs(x[j * cols + b * 32 + i] - (double) d * q);
                    assertTrue(err <= 0.5001 * d, "vector " + j + " value " + (b * 32 + i) + ": error " + err + " with scale " + d + ", seed " + seed);
                    octets[i / 8] += q;
                    if (i < 16) {
                        sum0 += d * q;
                    } else {
                        sum1 += d * q;
                    }
                }
                assertEquals(sum0, a.sums[index(a, j, 2 * b, cols / 16)], 1e-5 * (1 + Math.abs(sum0)));
                assertEquals(sum1, a.sums[index(a, j, 2 * b + 1, cols / 16)], 1e-5 * (1 + Math.abs(sum1)));
                if (!batch) {
                    int at = j * (cols / 32) + b;
                    for (int e = 0; e < 4; e++) {
                        assertEquals(octets[e], a.octetSums[4 * at + e], "values " + (8 * e) + "-" + (8 * e + 7) + " of block " + b + " of vector " + j);
                    }
                    assertEquals(octets[0] + octets[1] + octets[2] + octets[3], a.blockSums[at], "block " + b + " of vector " + j);
                }
            }
        }
    }

    /**
     * The sums come from added pairs ({@code sum(odd) + 65536 sum(even)}, decoded once): they hold
     * where every value is at the end of the range, all {@code -127}, all {@code 127}, or
     * alternating, in both layouts and forms.
     */
    @Test
    void sumsOfExtremeValues() {
        int cols = 256;
        float[][] inputs = new float[3][cols];
        Arrays.fill(inputs[0], -2f);
        Arrays.fill(inputs[1], 3f);
        for (int i = 0; i < cols; i++) {
            inputs[2][i] = i % 2 == 0 ? 5f : -5f;
        }
        int[][] octet = {{-1016, -1016, -1016, -1016}, {1016, 1016, 1016, 1016}, {0, 0, 0, 0}};
        for (int k = 0; k < inputs.length; k++) {
            for (boolean superBlocks : new boolean[]{false, true}) {
                QuantizedActivations a = new QuantizedActivations();
                a.reset(1, cols, false, superBlocks);
                a.quantize(inputs[k]);
                QuantizedActivations t = new QuantizedActivations();
                t.reset(1, cols, true, superBlocks);
                t.quantize(inputs[k]);
                for (int b = 0; b < cols / 32; b++) {
                    for (int e = 0; e < 4; e++) {
                        assertEquals(octet[k][e], a.octetSums[4 * b + e], "input " + k + ", block " + b);
                    }
                    assertEquals(4 * octet[k][0], a.blockSums[b], "input " + k + ", block " + b);
                    float half = a.scales[b] * 2 * octet[k][0];
                    assertEquals(half, a.sums[2 * b], 1e-4f, "input " + k);
                    assertEquals(half, a.sums[2 * b + 1], 1e-4f, "input " + k);
                    assertEquals(half, t.sums[index(t, 0, 2 * b, cols / 16)], 1e-4f, "input " + k + ", batch layout");
                    assertEquals(half, t.sums[index(t, 0, 2 * b + 1, cols / 16)], 1e-4f, "input " + k + ", batch layout");
                }
            }
        }
    }

    /** Threads quantize ranges of blocks ({@code MatMul}): any split gives what one call gives. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 17, 70})
    void rangesOfBlocksQuantizeAsTheWhole(int n) {
        long seed = RandomWeights.seed();
        int cols = 224;
        float[] x = RandomWeights.activations(n * cols, new SplittableRandom(seed));
        for (boolean batch : new boolean[]{false, true}) {
            QuantizedActivations whole = new QuantizedActivations();
            whole.reset(n, cols, batch);
            whole.quantize(x);
            QuantizedActivations parts = new QuantizedActivations();
            parts.reset(n, cols, batch);
            // Arbitrary uneven pieces, out of order.
            parts.quantizeBlocks(x, 5, 7);
            parts.quantizeBlocks(x, 0, 2);
            parts.quantizeBlocks(x, 2, 5);
            parts.quantizeBlocks(x, 7, 7);
            assertQuantizedAlike(whole, parts, (batch ? "batch" : "by vector") + " layout, " + n + " vectors, seed " + seed);
        }
        QuantizedActivations a = new QuantizedActivations();
        a.reset(n, cols, false);
        assertThrows(IllegalArgumentException.class, () -> a.quantizeBlocks(x, 3, 8));
        assertThrows(IllegalArgumentException.class, () -> a.quantizeBlocks(x, 4, 3));
    }

    /** The same with one scale per 256 values: ranges of whole super-blocks, and only those. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 17})
    void rangesOfSuperBlocksQuantizeAsTheWhole(int n) {
        long seed = RandomWeights.seed();
        int cols = 768;
        float[] x = RandomWeights.activations(n * cols, new SplittableRandom(seed));
        for (boolean batch : new boolean[]{false, true}) {
            QuantizedActivations whole = new QuantizedActivations();
            whole.reset(n, cols, batch, true);
            whole.quantize(x);
            QuantizedActivations parts = new QuantizedActivations();
            parts.reset(n, cols, batch, true);
            parts.quantizeBlocks(x, 16, 24);
            parts.quantizeBlocks(x, 0, 8);
            parts.quantizeBlocks(x, 8, 16);
            parts.quantizeBlocks(x, 24, 24);
            assertQuantizedAlike(whole, parts, "super-blocks, " + (batch ? "batch" : "by vector") + " layout, " + n + " vectors, seed " + seed);
            assertThrows(IllegalArgumentException.class, () -> parts.quantizeBlocks(x, 0, 4));
            assertThrows(IllegalArgumentException.class, () -> parts.quantizeBlocks(x, 4, 8));
        }
        QuantizedActivations a = new QuantizedActivations();
        assertThrows(IllegalArgumentException.class, () -> a.reset(n, 96, false, true));
    }

    private static void assertQuantizedAlike(QuantizedActivations whole, QuantizedActivations parts, String where) {
        {
            assertArrayEquals(whole.pairs, parts.pairs, where);
            assertArrayEquals(whole.scales, parts.scales, where);
            assertArrayEquals(whole.sums, parts.sums, where);
            assertArrayEquals(whole.blockSums, parts.blockSums, where);
            assertArrayEquals(whole.octetSums, parts.octetSums, where);
        }
    }

    /** Where value {@code i} of vector {@code j} sits, for either layout (see {@link QuantizedActivations}). */
    private static int index(QuantizedActivations a, int j, int i, int perVector) {
        if (!a.transposed) {
            return j * perVector + i;
        }
        int b = QuantizedPanelMatMul.tileStart(j, a.width);
        return b * perVector + i * QuantizedPanelMatMul.tileWidth(b, a.width) + (j - b);
    }

    @ParameterizedTest
    @MethodSource("types")
    void matchesTheSumsOfTheQuantizedActivations(GgmlType type) {
        WeightMatrixTest.Case c = WeightMatrixTest.Case.of(type, ROWS, WeightMatrixTest.cols(type));
        int cols = c.matrix().cols();
        int b = c.matrix().batchFrom();
        for (int n : new int[]{1, 2, 3, 4, 5, 7, 9, 12, 15, b - 1, b, 17, 70, 300}) {
            if (!c.matrix().integerKernels(n)) {
                continue; // a batch of Q8_0 on floats: WeightMatrixTest
            }
            float[] x = RandomWeights.activations(n * cols, c.rnd());
            float[] out = new float[n * ROWS];
            c.matrix().matMul(x, n, out, ROWS, 0, ROWS);
            assertMatches(c.exact(), x, n, scaleGroup(c.matrix()), out, ROWS, "n=" + n + ", " + c.where());
        }
    }

    /**
     * Either layout of the activations, whatever the count, gives the products: the per-vector
     * kernels ({@code gemv}) up to counts the batch kernel takes, and the batch kernel down to one
     * vector, so that {@link WeightMatrix#batchFrom} is free to move (Q8_0: the by-vector layout,
     * its only one).
     */
    @ParameterizedTest
    @MethodSource("types")
    void bothLayoutsGiveTheProductsAtAnyCount(GgmlType type) {
        WeightMatrixTest.Case c = WeightMatrixTest.Case.of(type, ROWS, WeightMatrixTest.cols(type));
        WeightMatrix w = c.matrix();
        int cols = w.cols();
        for (int n : new int[]{1, 6, 33}) {
            float[] x = RandomWeights.activations(n * cols, c.rnd());
            for (boolean batch : takesBatchLayout(w) ? new boolean[]{false, true} : new boolean[]{false}) {
                float[] out = product(w, x, n, batch);
                assertMatches(c.exact(), x, n, scaleGroup(w), out, ROWS, (batch ? "batch" : "by vector") + " layout, n=" + n + ", " + c.where());
            }
        }
    }

    /**
     * A vector's product does not depend on the vectors multiplied with it: the kernels for a few
     * vectors (some of which take two at a time, sharing the decoding of the weights) give each
     * vector the same result to the bit as a product of that vector alone.
     */
    @ParameterizedTest
    @MethodSource("types")
    void eachVectorOfAFewGetsItsOwnProductExactly(GgmlType type) {
        WeightMatrixTest.Case c = WeightMatrixTest.Case.of(type, ROWS, WeightMatrixTest.cols(type));
        WeightMatrix w = c.matrix();
        int cols = w.cols();
        int n = 5;
        float[] x = RandomWeights.activations(n * cols, c.rnd());
        float[] together = product(w, x, n, false);
        for (int j = 0; j < n; j++) {
            float[] alone = product(w, Arrays.copyOfRange(x, j * cols, (j + 1) * cols), 1, false);
            assertArrayEquals(alone, Arrays.copyOfRange(together, j * ROWS, (j + 1) * ROWS), "vector " + j + " of " + n + ", " + c.where());
        }
    }

    /**
     * Q4_0's few-vector batch kernel ({@code Q4_0Matrix.tileGemv}, where this JVM has it) gives each
     * vector of a prompt of 6 to 28 tokens (but 16, which takes the panel kernel) its product alone
     * to the bit, as the decode kernel computes it: a token's products do not depend on the prompt
     * it came in. Row ranges that start and end inside a group of rows write only their rows.
     */
    @Test
    void q4_0FewVectorBatchesGiveEachVectorItsProductAlone() {
        Assumptions.assumeTrue(Q4_0Matrix.TILE_GEMV, "no few-vector batch kernel with this JVM's vector width or pair products");
        WeightMatrixTest.Case c = WeightMatrixTest.Case.of(GgmlType.Q4_0, ROWS, WeightMatrixTest.cols(GgmlType.Q4_0));
        WeightMatrix w = c.matrix();
        int cols = w.cols();
        for (int n = w.batchFrom(); n <= 2 * InterleavedMatrix.G - 4; n++) {
            if (n == InterleavedMatrix.G) {
                continue;
            }
            float[] x = RandomWeights.activations(n * cols, c.rnd());
            float[] together = product(w, x, n, true);
            for (int j = 0; j < n; j++) {
                float[] alone = product(w, Arrays.copyOfRange(x, j * cols, (j + 1) * cols), 1, false);
                assertArrayEquals(alone, Arrays.copyOfRange(together, j * ROWS, (j + 1) * ROWS), "vector " + j + " of " + n + ", " + c.where());
            }
        }
        for (int n : new int[]{9, 27}) {
            assertRowRangesWriteTheirRows(w, n, c);
        }
    }

    private static void assertRowRangesWriteTheirRows(WeightMatrix w, int n, WeightMatrixTest.Case c) {
        int cols = w.cols();
        float[] x = RandomWeights.activations(n * cols, c.rnd());
        QuantizedActivations a = new QuantizedActivations();
        a.reset(n, cols, true, false);
        a.quantize(x);
        float[] whole = new float[n * ROWS];
        w.matMul(a, whole, ROWS, 0, ROWS);
        float[] parts = new float[n * ROWS];
        Arrays.fill(parts, Float.NaN);
        for (int r0 = 0; r0 < ROWS; r0 += 5) {
            w.matMul(a, parts, ROWS, r0, Math.min(ROWS, r0 + 5));
        }
        assertArrayEquals(whole, parts, "n=" + n + ", rows in ranges of 5, " + c.where());
    }

    /** The kernels refuse activations whose scales are not grouped as they read them, in either layout. */
    @ParameterizedTest
    @MethodSource("types")
    void kernelsRefuseActivationsScaledByOtherGroups(GgmlType type) {
        WeightMatrixTest.Case c = WeightMatrixTest.Case.of(type, ROWS, 512);
        WeightMatrix w = c.matrix();
        for (int n : new int[]{1, 40}) {
            QuantizedActivations a = new QuantizedActivations();
            a.reset(n, 512, n >= w.batchFrom(), !w.superBlockActivations());
            a.quantize(RandomWeights.activations(n * 512, c.rnd()));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.matMul(a, new float[n * ROWS], ROWS, 0, ROWS));
            assertTrue(e.getMessage().contains("one scale per"), e.getMessage());
        }
    }

    /** Q8_0, which takes 8-bit activations by vector only, refuses the batch layout with a message. */
    @Test
    void q8_0RefusesTheBatchLayout() {
        WeightMatrix w = WeightMatrixTest.Case.of(GgmlType.Q8_0, ROWS, 512).matrix();
        Assumptions.assumeTrue(w.integerKernels(1), "Q8_0 multiplies floats with this JVM's vector width");
        QuantizedActivations a = new QuantizedActivations();
        a.reset(3, 512, true, false);
        a.quantize(RandomWeights.activations(3 * 512, new SplittableRandom(3)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.matMul(a, new float[3 * ROWS], ROWS, 0, ROWS));
        assertTrue(e.getMessage().contains("by vector"), e.getMessage());
    }

    /** {@code w} times the {@code n} vectors of {@code x}, quantized in the given layout. */
    private static float[] product(WeightMatrix w, float[] x, int n, boolean batch) {
        QuantizedActivations a = new QuantizedActivations();
        a.reset(n, w.cols(), batch, w.superBlockActivations());
        a.quantize(x);
        float[] out = new float[n * w.rows()];
        w.matMul(a, out, w.rows(), 0, w.rows());
        return out;
    }

    /**
     * Weights at both ends of their range (every quant bit 0, then every bit 1; scales 1) times
     * activations all at their largest value: each accumulator reaches its documented limit
     * ({@code 32512} for the centred weights at 0), which must come out exact.
     */
    @ParameterizedTest
    @MethodSource("types")
    void extremeValuesFillTheAccumulatorsExactly(GgmlType type) {
        int rows = 37;
        int cols = 2 * Math.max(type.blockSize, 256);
        // Every bit 0, every bit 1, and Q8_0's extremes -128 and 127.
        for (byte fill : new byte[]{0, (byte) 0xFF, (byte) 0x80, 0x7F}) {
            long bytes = (long) rows * (cols / type.blockSize) * type.bytesPerBlock;
            MemorySegment data = Arena.ofAuto().allocate(bytes, 8);
            data.fill(fill);
            for (long at = 0; at < bytes; at += type.bytesPerBlock) {
                for (long field : halfFields(type)) {
                    data.set(SHORT_LE, at + field, Float.floatToFloat16(1f));
                }
            }
            WeightMatrix w = wrap(type, data, rows, cols);
            double[][] exact = new double[rows][];
            for (int r = 0; r < rows; r++) {
                exact[r] = ReferenceDecoder.row(type, data, cols, r);
            }
            for (int n : new int[]{1, 9, 40}) {
                if (!w.integerKernels(n)) {
                    continue;
                }
                for (float sign : new float[]{1f, -1f}) {
                    float[] x = new float[n * cols];
                    Arrays.fill(x, sign * 0.75f);
                    float[] out = new float[n * rows];
                    w.matMul(x, n, out, rows, 0, rows);
                    assertMatches(exact, x, n, scaleGroup(w), out, rows, type + " bytes " + fill + ", activations " + sign * 0.75f + ", n=" + n);
                }
            }
        }
    }

    /**
     * Scales as small as quantizing trained weights gives ({@code d} of Q6_K and Q5_K blocks is
     * mostly an fp16 subnormal): the kernels read them from a copy rescaled by a power of two
     * ({@code InterleavedMatrix.normalizeHalves}), which must give the same products, signs,
     * zeros and the smallest subnormal included, for one vector (gemv) and a batch (panels).
     */
    @ParameterizedTest
    @MethodSource("types")
    void subnormalScalesGiveExactProducts(GgmlType type) {
        int rows = 37;
        int cols = 2 * Math.max(type.blockSize, 256);
        SplittableRandom rnd = new SplittableRandom(11);
        MemorySegment data = RandomWeights.matrix(type, rows, cols, rnd);
        long bytes = data.byteSize();
        for (long at = 0; at < bytes; at += type.bytesPerBlock) {
            for (long field : halfFields(type)) {
                int kind = rnd.nextInt(8);
                // subnormal halves mostly, some normal ones up to about 1e-3, a zero, the smallest subnormal
                short h = switch (kind) {
                    case 0 -> 0;
                    case 1 -> 1;
                    case 2, 3 -> (short) (0x0400 + rnd.nextInt(0x1000));
                    default -> (short) (1 + rnd.nextInt(0x3FF));
                };
                data.set(SHORT_LE, at + field, (short) (rnd.nextBoolean() ? h : h | 0x8000));
            }
        }
        double[][] exact = new double[rows][];
        for (int r = 0; r < rows; r++) {
            exact[r] = ReferenceDecoder.row(type, data, cols, r);
        }
        WeightMatrix w = wrap(type, data, rows, cols);
        for (int n : new int[]{1, 3, 9, 40}) {
            if (!w.integerKernels(n)) {
                continue;
            }
            float[] x = RandomWeights.activations(n * cols, rnd);
            float[] out = new float[n * rows];
            w.matMul(x, n, out, rows, 0, rows);
            assertMatches(exact, x, n, scaleGroup(w), out, rows, type + " subnormal scales, n=" + n);
        }
    }

    /** The offsets of the fp16 fields of a block. */
    private static long[] halfFields(GgmlType type) {
        return switch (type) {
            case Q4_0, Q5_0, Q8_0 -> new long[]{0};
            case Q4_1, Q4_K, Q5_K -> new long[]{0, 2};
            case Q6_K -> new long[]{208};
            default -> throw new IllegalArgumentException(type.toString());
        };
    }
}
