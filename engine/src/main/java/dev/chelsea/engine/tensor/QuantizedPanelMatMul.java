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
 * two products per lane (see {@link InterleavedMatrix}), then adds the scaled integer sums to
 * float sums kept per group. Decoding is paid once per weight whatever the batch;
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
                        int xk = b * pairs + k0 * bw;
                        int dk = b * (pairs / 16) + k0 / 16 * bw;
                        int hk = b * (pairs / 8) + k0 / 8 * bw;
                        int sOff = r * width + b;
                        if (bw == 4 * L) {
                            kernel4(s.panel, s.scale, s.offset, r, len, unitPairs, offsets, a, xk, dk, hk, sums, sOff, width);
                        } else if (bw == 2 * L) {
                            kernel2(s.panel, s.scale, s.offset, r, len, unitPairs, offsets, a, xk, dk, hk, sums, sOff, width);
                        } else {
                            kernel1(s.panel, s.scale, s.offset, r, len, unitPairs, offsets, a, xk, dk, hk, sums, sOff, width);
                        }
                        b += bw;
                    }
                }
            }
            // Vector by vector: each vector's rows are adjacent in out (a cache line per group),
            // where row by row every write would touch another line (15% of the time, measured).
            int from = Math.max(r0, g * G);
            int to = Math.min(r1, g * G + G);
            for (int j = 0; j < a.count; j++) {
                int dst = outOff + j * outStride;
                for (int r = from; r < to; r++) {
                    out[dst + r] = sums[(r - g * G) * width + j];
                }
            }
        }
    }

    /**
     * Panel rows {@code [r, r + 4)}, pairs {@code [0, len)}, times the tile of {@code 4L} vectors
     * whose pairs start at {@code a.pairs[xk]} (block scales at {@code a.scales[dk]}, half-block
     * sums at {@code a.sums[hk]}), added to {@code sums[sOff + i * width + lane]}. For each unit the
     * int accumulators start at {@link InterleavedMatrix#ROUND}; after it, row {@code i}'s sum
     * gains {@code (acc >> 16) * scale * d + offset * sum} (see {@link InterleavedMatrix#fillPanel}).
     * Everything is written out: a vector passed to a method C2 declines to inline gets boxed.
     */
    private static void kernel4(int[] wp, float[] scale, float[] offset, int r, int len, int unitPairs, boolean offsets,
                                QuantizedActivations a, int xk, int dk, int hk, float[] sums, int sOff, int width) {
        final int bw = 4 * L;
        int[] xp = a.pairs;
        IntVector round = IntVector.broadcast(I, InterleavedMatrix.ROUND);
        for (int u0 = 0; u0 < len; u0 += unitPairs) {
            IntVector c00 = round, c01 = round, c02 = round, c03 = round;
            IntVector c10 = round, c11 = round, c12 = round, c13 = round;
            IntVector c20 = round, c21 = round, c22 = round, c23 = round;
            IntVector c30 = round, c31 = round, c32 = round, c33 = round;
            for (int k = u0; k < u0 + unitPairs; k++) {
                int xo = xk + k * bw;
                IntVector x0 = IntVector.fromArray(I, xp, xo);
                IntVector x1 = IntVector.fromArray(I, xp, xo + L);
                IntVector x2 = IntVector.fromArray(I, xp, xo + 2 * L);
                IntVector x3 = IntVector.fromArray(I, xp, xo + 3 * L);
                int wk = k * G + r;
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
            int dOff = dk + u0 / 16 * bw;
            FloatVector d0 = FloatVector.fromArray(F, a.scales, dOff);
            FloatVector d1 = FloatVector.fromArray(F, a.scales, dOff + L);
            FloatVector d2 = FloatVector.fromArray(F, a.scales, dOff + 2 * L);
            FloatVector d3 = FloatVector.fromArray(F, a.scales, dOff + 3 * L);
            int su = u0 / unitPairs * G + r;
            // The activations' sums (each vector's, over the unit), for the values' offsets.
            FloatVector e0 = d0.mul(0f), e1 = e0, e2 = e0, e3 = e0;
            if (offsets) {
                int hOff = hk + u0 / 8 * bw;
                e0 = FloatVector.fromArray(F, a.sums, hOff);
                e1 = FloatVector.fromArray(F, a.sums, hOff + L);
                e2 = FloatVector.fromArray(F, a.sums, hOff + 2 * L);
                e3 = FloatVector.fromArray(F, a.sums, hOff + 3 * L);
                if (unitPairs == 16) {
                    e0 = FloatVector.fromArray(F, a.sums, hOff + bw).add(e0);
                    e1 = FloatVector.fromArray(F, a.sums, hOff + bw + L).add(e1);
                    e2 = FloatVector.fromArray(F, a.sums, hOff + bw + 2 * L).add(e2);
                    e3 = FloatVector.fromArray(F, a.sums, hOff + bw + 3 * L).add(e3);
                }
            }
            // Row by row: sums += (acc >> 16) * scale * d + offset * e
            FloatVector f = FloatVector.broadcast(F, scale[su]);
            FloatVector m = FloatVector.broadcast(F, offsets ? offset[su] : 0f);
            int o = sOff;
            ((FloatVector) c00.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d0), m.fma(e0, FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            ((FloatVector) c01.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d1), m.fma(e1, FloatVector.fromArray(F, sums, o + L))).intoArray(sums, o + L);
            ((FloatVector) c02.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d2), m.fma(e2, FloatVector.fromArray(F, sums, o + 2 * L))).intoArray(sums, o + 2 * L);
            ((FloatVector) c03.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d3), m.fma(e3, FloatVector.fromArray(F, sums, o + 3 * L))).intoArray(sums, o + 3 * L);
            f = FloatVector.broadcast(F, scale[su + 1]);
            m = FloatVector.broadcast(F, offsets ? offset[su + 1] : 0f);
            o += width;
            ((FloatVector) c10.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d0), m.fma(e0, FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            ((FloatVector) c11.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d1), m.fma(e1, FloatVector.fromArray(F, sums, o + L))).intoArray(sums, o + L);
            ((FloatVector) c12.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d2), m.fma(e2, FloatVector.fromArray(F, sums, o + 2 * L))).intoArray(sums, o + 2 * L);
            ((FloatVector) c13.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d3), m.fma(e3, FloatVector.fromArray(F, sums, o + 3 * L))).intoArray(sums, o + 3 * L);
            f = FloatVector.broadcast(F, scale[su + 2]);
            m = FloatVector.broadcast(F, offsets ? offset[su + 2] : 0f);
            o += width;
            ((FloatVector) c20.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d0), m.fma(e0, FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            ((FloatVector) c21.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d1), m.fma(e1, FloatVector.fromArray(F, sums, o + L))).intoArray(sums, o + L);
            ((FloatVector) c22.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d2), m.fma(e2, FloatVector.fromArray(F, sums, o + 2 * L))).intoArray(sums, o + 2 * L);
            ((FloatVector) c23.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d3), m.fma(e3, FloatVector.fromArray(F, sums, o + 3 * L))).intoArray(sums, o + 3 * L);
            f = FloatVector.broadcast(F, scale[su + 3]);
            m = FloatVector.broadcast(F, offsets ? offset[su + 3] : 0f);
            o += width;
            ((FloatVector) c30.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d0), m.fma(e0, FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            ((FloatVector) c31.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d1), m.fma(e1, FloatVector.fromArray(F, sums, o + L))).intoArray(sums, o + L);
            ((FloatVector) c32.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d2), m.fma(e2, FloatVector.fromArray(F, sums, o + 2 * L))).intoArray(sums, o + 2 * L);
            ((FloatVector) c33.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d3), m.fma(e3, FloatVector.fromArray(F, sums, o + 3 * L))).intoArray(sums, o + 3 * L);
        }
    }

    /** {@link #kernel4} for a tile of {@code 2L} vectors. */
    private static void kernel2(int[] wp, float[] scale, float[] offset, int r, int len, int unitPairs, boolean offsets,
                                QuantizedActivations a, int xk, int dk, int hk, float[] sums, int sOff, int width) {
        final int bw = 2 * L;
        int[] xp = a.pairs;
        IntVector round = IntVector.broadcast(I, InterleavedMatrix.ROUND);
        for (int u0 = 0; u0 < len; u0 += unitPairs) {
            IntVector c00 = round, c01 = round;
            IntVector c10 = round, c11 = round;
            IntVector c20 = round, c21 = round;
            IntVector c30 = round, c31 = round;
            for (int k = u0; k < u0 + unitPairs; k++) {
                int xo = xk + k * bw;
                IntVector x0 = IntVector.fromArray(I, xp, xo);
                IntVector x1 = IntVector.fromArray(I, xp, xo + L);
                int wk = k * G + r;
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
            int dOff = dk + u0 / 16 * bw;
            FloatVector d0 = FloatVector.fromArray(F, a.scales, dOff);
            FloatVector d1 = FloatVector.fromArray(F, a.scales, dOff + L);
            int su = u0 / unitPairs * G + r;
            FloatVector e0 = d0.mul(0f), e1 = e0;
            if (offsets) {
                int hOff = hk + u0 / 8 * bw;
                e0 = FloatVector.fromArray(F, a.sums, hOff);
                e1 = FloatVector.fromArray(F, a.sums, hOff + L);
                if (unitPairs == 16) {
                    e0 = FloatVector.fromArray(F, a.sums, hOff + bw).add(e0);
                    e1 = FloatVector.fromArray(F, a.sums, hOff + bw + L).add(e1);
                }
            }
            FloatVector f = FloatVector.broadcast(F, scale[su]);
            FloatVector m = FloatVector.broadcast(F, offsets ? offset[su] : 0f);
            int o = sOff;
            ((FloatVector) c00.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d0), m.fma(e0, FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            ((FloatVector) c01.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d1), m.fma(e1, FloatVector.fromArray(F, sums, o + L))).intoArray(sums, o + L);
            f = FloatVector.broadcast(F, scale[su + 1]);
            m = FloatVector.broadcast(F, offsets ? offset[su + 1] : 0f);
            o += width;
            ((FloatVector) c10.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d0), m.fma(e0, FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            ((FloatVector) c11.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d1), m.fma(e1, FloatVector.fromArray(F, sums, o + L))).intoArray(sums, o + L);
            f = FloatVector.broadcast(F, scale[su + 2]);
            m = FloatVector.broadcast(F, offsets ? offset[su + 2] : 0f);
            o += width;
            ((FloatVector) c20.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d0), m.fma(e0, FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            ((FloatVector) c21.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d1), m.fma(e1, FloatVector.fromArray(F, sums, o + L))).intoArray(sums, o + L);
            f = FloatVector.broadcast(F, scale[su + 3]);
            m = FloatVector.broadcast(F, offsets ? offset[su + 3] : 0f);
            o += width;
            ((FloatVector) c30.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d0), m.fma(e0, FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            ((FloatVector) c31.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(f.mul(d1), m.fma(e1, FloatVector.fromArray(F, sums, o + L))).intoArray(sums, o + L);
        }
    }

    /** {@link #kernel4} for a tile of {@code L} vectors. */
    private static void kernel1(int[] wp, float[] scale, float[] offset, int r, int len, int unitPairs, boolean offsets,
                                QuantizedActivations a, int xk, int dk, int hk, float[] sums, int sOff, int width) {
        int[] xp = a.pairs;
        IntVector round = IntVector.broadcast(I, InterleavedMatrix.ROUND);
        for (int u0 = 0; u0 < len; u0 += unitPairs) {
            IntVector c0 = round, c1 = round, c2 = round, c3 = round;
            for (int k = u0; k < u0 + unitPairs; k++) {
                IntVector x0 = IntVector.fromArray(I, xp, xk + k * L);
                int wk = k * G + r;
                c0 = IntVector.broadcast(I, wp[wk]).mul(x0).add(c0);
                c1 = IntVector.broadcast(I, wp[wk + 1]).mul(x0).add(c1);
                c2 = IntVector.broadcast(I, wp[wk + 2]).mul(x0).add(c2);
                c3 = IntVector.broadcast(I, wp[wk + 3]).mul(x0).add(c3);
            }
            FloatVector d0 = FloatVector.fromArray(F, a.scales, dk + u0 / 16 * L);
            int su = u0 / unitPairs * G + r;
            FloatVector e0 = d0.mul(0f);
            if (offsets) {
                int hOff = hk + u0 / 8 * L;
                e0 = FloatVector.fromArray(F, a.sums, hOff);
                if (unitPairs == 16) {
                    e0 = FloatVector.fromArray(F, a.sums, hOff + L).add(e0);
                }
            }
            int o = sOff;
            ((FloatVector) c0.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d0.mul(scale[su]),
                    e0.mul(offsets ? offset[su] : 0f).add(FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            o += width;
            ((FloatVector) c1.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d0.mul(scale[su + 1]),
                    e0.mul(offsets ? offset[su + 1] : 0f).add(FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            o += width;
            ((FloatVector) c2.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d0.mul(scale[su + 2]),
                    e0.mul(offsets ? offset[su + 2] : 0f).add(FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
            o += width;
            ((FloatVector) c3.lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d0.mul(scale[su + 3]),
                    e0.mul(offsets ? offset[su + 3] : 0f).add(FloatVector.fromArray(F, sums, o))).intoArray(sums, o);
        }
    }
}
