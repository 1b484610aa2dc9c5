package dev.chelsea.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * An {@link InterleavedMatrix} times a batch of float vectors ({@link PackedActivations}): the
 * float counterpart of {@link QuantizedPanelMatMul}, for the formats {@link FloatBatches} puts on
 * floats. For each group of rows and chunk of {@link #CHUNK_PAIRS} pairs, the matrix decodes its
 * weights into a float panel ({@link InterleavedMatrix#fillFloatPanel}: value {@code k} of the
 * group's {@link #G} rows at {@code [k G, k G + G)}, the layout the interleaved copy already has);
 * for each {@link #ROWS} rows and block of packed vectors, a register-blocked kernel broadcasts
 * each row's weight and multiplies it into the block's lanes, as {@link PanelMatMul}'s kernels do
 * with their row-major panels. Decoding is paid once per weight and call; a value decoded costs
 * about as much as one FMA, against {@code n / L} FMAs that use it. The kernels are
 * {@link PanelMatMul}'s with the panel's index transposed ({@code k G + i} for its
 * {@code i CHUNK + k}), not shared with them: a shared kernel would take the panel's strides as
 * arguments, and C2 hoists bounds checks only for strides it knows when compiling.
 */
final class InterleavedFloatMatMul {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.F_LANES;
    private static final int G = InterleavedMatrix.G;
    /** Rows per kernel call: four rows of two lane vectors are 8 accumulators, which AVX2's 16 registers hold with the operands. */
    private static final int ROWS = 4;
    /** Pairs per panel: 256 values, a multiple of every block; the float panel is 8 KiB at 8 lanes. */
    private static final int CHUNK_PAIRS = 128;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private InterleavedFloatMatMul() {
    }

    private static final class Scratch {
        final int[] pairs = new int[CHUNK_PAIRS * G];
        final float[] scale = new float[CHUNK_PAIRS * G];
        final float[] offset = new float[CHUNK_PAIRS * G];
        final float[] panel = new float[2 * CHUNK_PAIRS * G];
        float[] sums = new float[0];

        float[] sums(int size) {
            if (sums.length < size) {
                sums = new float[size];
            }
            return sums;
        }
    }

    /** {@code out[outOff + j * outStride + r] = W[r] . vector j} for the packed vectors and rows {@code [r0, r1)}. */
    static void multiply(InterleavedMatrix w, PackedActivations a, float[] out, int outOff, int outStride, int r0, int r1) {
        Scratch s = SCRATCH.get();
        int cols = w.cols(), width = a.width, pairs = cols / 2;
        int stride = PanelMatMul.sumsStride(width);
        float[] xt = a.xt;
        for (int g = r0 / G; g * G < r1; g++) {
            float[] sums = s.sums(G * stride);
            Arrays.fill(sums, 0, G * stride, 0f);
            int first = Math.max(r0 - g * G, 0) / ROWS * ROWS;
            int last = Math.min(r1 - g * G, G);
            for (int k0 = 0; k0 < pairs; k0 += CHUNK_PAIRS) {
                int len = Math.min(CHUNK_PAIRS, pairs - k0);
                w.fillFloatPanel(g, k0, len, s.pairs, s.scale, s.offset, s.panel);
                // Each half of the chunk's values, tile by tile, then the group's rows: a tile's
                // half (32 KiB at most) stays in L1 for all of them. Row by row over whole chunks,
                // each call read its tile (64 KiB) from L2: 256-token Q5_K_M prefills now take
                // 0.91-0.94x the time (Q4_K_M, less of it on floats, 1.03x in one run, within its
                // rounds' spread); tile by tile over whole chunks, 1.13x (Zen 5, two builds in
                // one JVM, 2026-12-07). The kernels take the half's start in the panel through
                // their row offset: value k of row r is at (k + h) G + r, so r + h G.
                for (int h = 0; h < 2 * len; h += len) {
                    for (int b = 0; b < width; ) {
                        int bw = PanelMatMul.blockWidth(b, width);
                        int xOff = b * cols + 2 * k0 * bw + h * bw;
                        for (int r = first; r < last; r += ROWS) {
                            int sOff = r * stride + b;
                            if (bw == 4 * L) {
                                kernel4(s.panel, r + h * G, len, xt, xOff, sums, sOff, stride);
                            } else if (bw == 2 * L) {
                                kernel2(s.panel, r + h * G, len, xt, xOff, sums, sOff, stride);
                            } else {
                                kernel1(s.panel, r + h * G, len, xt, xOff, sums, sOff, stride);
                            }
                        }
                        b += bw;
                    }
                }
            }
            // Vector by vector, so that the writes to out are adjacent (see QuantizedPanelMatMul).
            int from = Math.max(r0, g * G);
            int to = Math.min(r1, g * G + G);
            for (int j = 0; j < a.count; j++) {
                int dst = outOff + j * outStride;
                for (int r = from; r < to; r++) {
                    out[dst + r] = sums[(r - g * G) * stride + j];
                }
            }
        }
    }

    /**
     * For the panel's rows {@code r + i} ({@code i < 4}) and four lane vectors {@code v}:
     * {@code sums[sOff + i * stride + v * L + lane] +=} the sum over {@code k < len} of
     * {@code w[k G + r + i] * xt[xOff + k * 4L + v * L + lane]}. Sixteen accumulators: AVX-512 only
     * (the packed blocks are this wide only there).
     */
    private static void kernel4(float[] w, int r, int len, float[] xt, int xOff, float[] sums, int sOff, int stride) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int k = 0; k < len; k++) {
            int xk = xOff + k * (4 * L);
            FloatVector x0 = FloatVector.fromArray(F, xt, xk);
            FloatVector x1 = FloatVector.fromArray(F, xt, xk + L);
            FloatVector x2 = FloatVector.fromArray(F, xt, xk + 2 * L);
            FloatVector x3 = FloatVector.fromArray(F, xt, xk + 3 * L);
            int wk = k * G + r;
            FloatVector a = FloatVector.broadcast(F, w[wk]);
            c00 = a.fma(x0, c00);
            c01 = a.fma(x1, c01);
            c02 = a.fma(x2, c02);
            c03 = a.fma(x3, c03);
            a = FloatVector.broadcast(F, w[wk + 1]);
            c10 = a.fma(x0, c10);
            c11 = a.fma(x1, c11);
            c12 = a.fma(x2, c12);
            c13 = a.fma(x3, c13);
            a = FloatVector.broadcast(F, w[wk + 2]);
            c20 = a.fma(x0, c20);
            c21 = a.fma(x1, c21);
            c22 = a.fma(x2, c22);
            c23 = a.fma(x3, c23);
            a = FloatVector.broadcast(F, w[wk + 3]);
            c30 = a.fma(x0, c30);
            c31 = a.fma(x1, c31);
            c32 = a.fma(x2, c32);
            c33 = a.fma(x3, c33);
        }
        // Written out: a vector passed to a method C2 declines to inline gets boxed.
        int o = sOff;
        c00.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c01.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        c02.add(FloatVector.fromArray(F, sums, o + 2 * L)).intoArray(sums, o + 2 * L);
        c03.add(FloatVector.fromArray(F, sums, o + 3 * L)).intoArray(sums, o + 3 * L);
        o += stride;
        c10.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c11.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        c12.add(FloatVector.fromArray(F, sums, o + 2 * L)).intoArray(sums, o + 2 * L);
        c13.add(FloatVector.fromArray(F, sums, o + 3 * L)).intoArray(sums, o + 3 * L);
        o += stride;
        c20.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c21.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        c22.add(FloatVector.fromArray(F, sums, o + 2 * L)).intoArray(sums, o + 2 * L);
        c23.add(FloatVector.fromArray(F, sums, o + 3 * L)).intoArray(sums, o + 3 * L);
        o += stride;
        c30.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c31.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        c32.add(FloatVector.fromArray(F, sums, o + 2 * L)).intoArray(sums, o + 2 * L);
        c33.add(FloatVector.fromArray(F, sums, o + 3 * L)).intoArray(sums, o + 3 * L);
    }

    /** {@link #kernel4} for a block of {@code 2L} vectors. */
    private static void kernel2(float[] w, int r, int len, float[] xt, int xOff, float[] sums, int sOff, int stride) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int k = 0; k < len; k++) {
            int xk = xOff + k * (2 * L);
            FloatVector x0 = FloatVector.fromArray(F, xt, xk);
            FloatVector x1 = FloatVector.fromArray(F, xt, xk + L);
            int wk = k * G + r;
            FloatVector a = FloatVector.broadcast(F, w[wk]);
            c00 = a.fma(x0, c00);
            c01 = a.fma(x1, c01);
            a = FloatVector.broadcast(F, w[wk + 1]);
            c10 = a.fma(x0, c10);
            c11 = a.fma(x1, c11);
            a = FloatVector.broadcast(F, w[wk + 2]);
            c20 = a.fma(x0, c20);
            c21 = a.fma(x1, c21);
            a = FloatVector.broadcast(F, w[wk + 3]);
            c30 = a.fma(x0, c30);
            c31 = a.fma(x1, c31);
        }
        int o = sOff;
        c00.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c01.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        o += stride;
        c10.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c11.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        o += stride;
        c20.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c21.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        o += stride;
        c30.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c31.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
    }

    /**
     * {@link #kernel4} for a block of {@code L} vectors, with two sets of accumulators (even and odd
     * {@code k}; {@code len} is even): four alone leave the FMAs waiting on their latency. One core,
     * Q6_K 2048 x 2048 times 8 vectors, 2.06 -> 1.83 ms; 24 vectors (a block of {@code 2L}, then
     * this one) 3.79 -> 3.63 ms (AMD EPYC Zen 3, alternating in one JVM, medians of 9).
     */
    private static void kernel1(float[] w, int r, int len, float[] xt, int xOff, float[] sums, int sOff, int stride) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0, d3 = c0;
        for (int k = 0; k < len; k += 2) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xOff + k * L);
            FloatVector x1 = FloatVector.fromArray(F, xt, xOff + k * L + L);
            int wk = k * G + r;
            c0 = FloatVector.broadcast(F, w[wk]).fma(x0, c0);
            c1 = FloatVector.broadcast(F, w[wk + 1]).fma(x0, c1);
            c2 = FloatVector.broadcast(F, w[wk + 2]).fma(x0, c2);
            c3 = FloatVector.broadcast(F, w[wk + 3]).fma(x0, c3);
            d0 = FloatVector.broadcast(F, w[wk + G]).fma(x1, d0);
            d1 = FloatVector.broadcast(F, w[wk + G + 1]).fma(x1, d1);
            d2 = FloatVector.broadcast(F, w[wk + G + 2]).fma(x1, d2);
            d3 = FloatVector.broadcast(F, w[wk + G + 3]).fma(x1, d3);
        }
        c0.add(d0).add(FloatVector.fromArray(F, sums, sOff)).intoArray(sums, sOff);
        c1.add(d1).add(FloatVector.fromArray(F, sums, sOff + stride)).intoArray(sums, sOff + stride);
        c2.add(d2).add(FloatVector.fromArray(F, sums, sOff + 2 * stride)).intoArray(sums, sOff + 2 * stride);
        c3.add(d3).add(FloatVector.fromArray(F, sums, sOff + 3 * stride)).intoArray(sums, sOff + 3 * stride);
    }
}
