package dev.chelsea.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;

/**
 * An {@link InterleavedMatrix} times a batch of quantized vectors ({@link QuantizedActivations},
 * transposed layout): the integer counterpart of {@link PanelMatMul}, with the vectors in the lanes.
 *
 * <p>For each group of rows and chunk of {@link #CHUNK_PAIRS} pairs, the matrix decodes its weight
 * pairs into an int panel ({@link InterleavedMatrix#fillPanel}). For each unit of pairs (those
 * summed in one accumulator), a register-blocked kernel broadcasts the weight pair of each of
 * {@link #ROWS} rows and multiplies it into up to four vectors of activation pairs, each multiply
 * two products per lane (see {@link InterleavedMatrix}); {@link #scaleUnit} then adds the scaled
 * integer sums to float sums kept per group. Decoding is paid once per weight whatever the batch;
 * a multiply and an add do 32 products per 16 lanes, where a float FMA does 16 (and only two FMAs
 * issue per cycle, against four integer operations).
 */
final class QuantizedPanelMatMul {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final int L = Simd.F_LANES;
    private static final int G = InterleavedMatrix.G;
    /** Rows per kernel call. */
    private static final int ROWS = 4;
    /** Lane vectors per kernel call: 4 x 4 int accumulators fit AVX-512's 32 registers, 4 x 2 AVX2's 16. */
    private static final int WIDE = L >= 16 ? 4 : 2;
    /** Pairs per panel: 256 values, a multiple of every block, and a panel of 8 KiB at most. */
    private static final int CHUNK_PAIRS = 128;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private QuantizedPanelMatMul() {
    }

    private static final class Scratch {
        final int[] panel = new int[CHUNK_PAIRS * G];
        final float[] scale = new float[CHUNK_PAIRS * G];
        final float[] offset = new float[CHUNK_PAIRS * G];
        final int[] acc = new int[ROWS * 4 * L];
        float[] sums = new float[0];

        float[] sums(int size) {
            if (sums.length < size) {
                sums = new float[size];
            }
            return sums;
        }
    }

    static int paddedWidth(int n) {
        return (n + L - 1) / L * L;
    }

    /** Lanes {@code [b, b + tileWidth(b, width))} form one tile: {@code 4L} lanes while they fit (AVX-512), then {@code 2L}, then {@code L}. */
    static int tileWidth(int b, int width) {
        int left = width - b;
        if (WIDE == 4 && left >= 4 * L) {
            return 4 * L;
        }
        return left >= 2 * L ? 2 * L : L;
    }

    /** The first lane of the tile holding lane {@code t}. */
    static int tileStart(int t, int width) {
        int b = 0;
        while (b + tileWidth(b, width) <= t) {
            b += tileWidth(b, width);
        }
        return b;
    }

    /** {@code out[outOff + j * outStride + r] = W[r] . vector j} for rows {@code [r0, r1)}. */
    static void multiply(InterleavedMatrix w, QuantizedActivations a, float[] out, int outOff, int outStride, int r0, int r1) {
        Scratch s = SCRATCH.get();
        int width = a.width;
        int pairs = w.cols() / 2;
        int unitPairs = w.unitPairs();
        boolean offsets = w.hasOffsets();
        for (int g = r0 / G; g * G < r1; g++) {
            float[] sums = s.sums(G * width);
            Arrays.fill(sums, 0, G * width, 0f);
            int first = Math.max(r0 - g * G, 0) / ROWS * ROWS;
            int last = Math.min(r1 - g * G, G);
            for (int k0 = 0; k0 < pairs; k0 += CHUNK_PAIRS) {
                int len = Math.min(CHUNK_PAIRS, pairs - k0);
                w.fillPanel(g, k0, len, s.panel, s.scale, s.offset);
                for (int r = first; r < last; r += ROWS) {
                    for (int b = 0; b < width; ) {
                        int bw = tileWidth(b, width);
                        for (int u0 = 0; u0 < len; u0 += unitPairs) {
                            int xk = b * pairs + (k0 + u0) * bw;
                            if (bw == 4 * L) {
                                kernel4(s.panel, r, u0, unitPairs, a.pairs, xk, s.acc);
                            } else if (bw == 2 * L) {
                                kernel2(s.panel, r, u0, unitPairs, a.pairs, xk, s.acc);
                            } else {
                                kernel1(s.panel, r, u0, unitPairs, a.pairs, xk, s.acc);
                            }
                            scaleUnit(s, r, u0 / unitPairs, offsets, unitPairs, a, b, bw, k0 + u0, sums, r * width + b, width);
                        }
                        b += bw;
                    }
                }
            }
            for (int r = Math.max(r0, g * G); r < Math.min(r1, g * G + G); r++) {
                int src = (r - g * G) * width;
                for (int j = 0; j < a.count; j++) {
                    out[outOff + j * outStride + r] = sums[src + j];
                }
            }
        }
    }

    /**
     * One unit of panel rows {@code [r, r + 4)} (pairs {@code [u0, u0 + unitPairs)} of the panel)
     * times the tile of {@code 4L} vectors whose pair {@code u0} starts at {@code xp[xk]}; the
     * accumulators go to {@code acc[(4 i + v) L ..]} for row {@code i} and lane vector {@code v}.
     */
    private static void kernel4(int[] wp, int r, int u0, int unitPairs, int[] xp, int xk, int[] acc) {
        final int bw = 4 * L;
        IntVector c00 = IntVector.broadcast(I, InterleavedMatrix.ROUND), c01 = c00, c02 = c00, c03 = c00;
        IntVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        IntVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        IntVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int k = 0; k < unitPairs; k++) {
            int xo = xk + k * bw;
            IntVector x0 = IntVector.fromArray(I, xp, xo);
            IntVector x1 = IntVector.fromArray(I, xp, xo + L);
            IntVector x2 = IntVector.fromArray(I, xp, xo + 2 * L);
            IntVector x3 = IntVector.fromArray(I, xp, xo + 3 * L);
            int wk = (u0 + k) * G + r;
            IntVector w = IntVector.broadcast(I, wp[wk]);
            c00 = w.mul(x0).add(c00);
            c01 = w.mul(x1).add(c01);
            c02 = w.mul(x2).add(c02);
            c03 = w.mul(x3).add(c03);
            w = IntVector.broadcast(I, wp[wk + 1]);
            c10 = w.mul(x0).add(c10);
            c11 = w.mul(x1).add(c11);
            c12 = w.mul(x2).add(c12);
            c13 = w.mul(x3).add(c13);
            w = IntVector.broadcast(I, wp[wk + 2]);
            c20 = w.mul(x0).add(c20);
            c21 = w.mul(x1).add(c21);
            c22 = w.mul(x2).add(c22);
            c23 = w.mul(x3).add(c23);
            w = IntVector.broadcast(I, wp[wk + 3]);
            c30 = w.mul(x0).add(c30);
            c31 = w.mul(x1).add(c31);
            c32 = w.mul(x2).add(c32);
            c33 = w.mul(x3).add(c33);
        }
        // Written out here: a vector passed to a method C2 declines to inline gets boxed.
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c02.intoArray(acc, 2 * L);
        c03.intoArray(acc, 3 * L);
        c10.intoArray(acc, 4 * L);
        c11.intoArray(acc, 5 * L);
        c12.intoArray(acc, 6 * L);
        c13.intoArray(acc, 7 * L);
        c20.intoArray(acc, 8 * L);
        c21.intoArray(acc, 9 * L);
        c22.intoArray(acc, 10 * L);
        c23.intoArray(acc, 11 * L);
        c30.intoArray(acc, 12 * L);
        c31.intoArray(acc, 13 * L);
        c32.intoArray(acc, 14 * L);
        c33.intoArray(acc, 15 * L);
    }

    /** {@link #kernel4} for a tile of {@code 2L} vectors; accumulators at {@code acc[(2 i + v) L ..]}. */
    private static void kernel2(int[] wp, int r, int u0, int unitPairs, int[] xp, int xk, int[] acc) {
        final int bw = 2 * L;
        IntVector c00 = IntVector.broadcast(I, InterleavedMatrix.ROUND), c01 = c00;
        IntVector c10 = c00, c11 = c00;
        IntVector c20 = c00, c21 = c00;
        IntVector c30 = c00, c31 = c00;
        for (int k = 0; k < unitPairs; k++) {
            int xo = xk + k * bw;
            IntVector x0 = IntVector.fromArray(I, xp, xo);
            IntVector x1 = IntVector.fromArray(I, xp, xo + L);
            int wk = (u0 + k) * G + r;
            IntVector w = IntVector.broadcast(I, wp[wk]);
            c00 = w.mul(x0).add(c00);
            c01 = w.mul(x1).add(c01);
            w = IntVector.broadcast(I, wp[wk + 1]);
            c10 = w.mul(x0).add(c10);
            c11 = w.mul(x1).add(c11);
            w = IntVector.broadcast(I, wp[wk + 2]);
            c20 = w.mul(x0).add(c20);
            c21 = w.mul(x1).add(c21);
            w = IntVector.broadcast(I, wp[wk + 3]);
            c30 = w.mul(x0).add(c30);
            c31 = w.mul(x1).add(c31);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
    }

    /** {@link #kernel4} for a tile of {@code L} vectors; accumulators at {@code acc[i L ..]}. */
    private static void kernel1(int[] wp, int r, int u0, int unitPairs, int[] xp, int xk, int[] acc) {
        IntVector c0 = IntVector.broadcast(I, InterleavedMatrix.ROUND), c1 = c0, c2 = c0, c3 = c0;
        for (int k = 0; k < unitPairs; k++) {
            IntVector x0 = IntVector.fromArray(I, xp, xk + k * L);
            int wk = (u0 + k) * G + r;
            c0 = IntVector.broadcast(I, wp[wk]).mul(x0).add(c0);
            c1 = IntVector.broadcast(I, wp[wk + 1]).mul(x0).add(c1);
            c2 = IntVector.broadcast(I, wp[wk + 2]).mul(x0).add(c2);
            c3 = IntVector.broadcast(I, wp[wk + 3]).mul(x0).add(c3);
        }
        c0.intoArray(acc, 0);
        c1.intoArray(acc, L);
        c2.intoArray(acc, 2 * L);
        c3.intoArray(acc, 3 * L);
    }

    /**
     * Adds the unit's integer sums ({@code acc}, {@code bw / L} lane vectors per row) to the float
     * sums of rows {@code [r, r + 4)}: {@code (acc >> 16) * scale * d + offset * sum}, with the
     * activations' scale {@code d} of the unit's block and the sum of its values (pair {@code k} is
     * the unit's first).
     */
    private static void scaleUnit(Scratch s, int r, int unit, boolean offsets, int unitPairs, QuantizedActivations a,
                                  int b, int bw, int k, float[] sums, int sOff, int width) {
        int vectors = bw / L;
        int dOff = b * (a.cols / QuantizedActivations.BLOCK) + k / 16 * bw;
        int hOff = b * (a.cols / 16) + k / 8 * bw;
        for (int i = 0; i < ROWS; i++) {
            FloatVector sc = FloatVector.broadcast(F, s.scale[unit * G + r + i]);
            FloatVector of = FloatVector.broadcast(F, s.offset[unit * G + r + i]);
            for (int v = 0; v < vectors; v++) {
                int o = sOff + i * width + v * L;
                IntVector q = IntVector.fromArray(I, s.acc, (i * vectors + v) * L);
                FloatVector f = ((FloatVector) q.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                        .mul(sc.mul(FloatVector.fromArray(F, a.scales, dOff + v * L)));
                if (offsets) {
                    FloatVector e = FloatVector.fromArray(F, a.sums, hOff + v * L);
                    if (unitPairs == 16) {
                        e = FloatVector.fromArray(F, a.sums, hOff + bw + v * L).add(e);
                    }
                    f = of.fma(e, f);
                }
                f.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
            }
        }
    }
}
