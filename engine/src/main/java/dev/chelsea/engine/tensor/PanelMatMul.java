package dev.chelsea.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Weight matrix times many activation vectors (prefill), for every storage type at once.
 *
 * <p>A panel of {@link #PANEL_ROWS} weight rows is dequantized, {@link #CHUNK} columns at a time,
 * into a small float buffer, so each weight is decoded once per call however many vectors there
 * are. The activations are transposed once per input ({@link PackedActivations}) so that one
 * vector load holds the same column of {@code L} different vectors; the register-blocked kernel
 * then broadcasts one weight and multiplies it into those lanes, keeping {@code PANEL_ROWS x WIDE}
 * accumulators in registers across the whole chunk. The transposed vectors are packed in blocks
 * as wide as the kernel that reads them ({@code 4L}, {@code 2L} or {@code L} lanes), so that a
 * kernel steps through its block by a constant stride: C2 then hoists the array bounds checks out
 * of the loop, which it cannot do for a stride only known at run time. No horizontal reductions
 * are needed, and partial sums of a group of {@link #GROUP_ROWS} rows stay in a small buffer.
 *
 * <p>For a few vectors a panel is taken chunk after chunk to the rows' end before the next panel
 * starts, so that the weights are read as {@code PANEL_ROWS} forward streams; the activations are
 * read again for each panel, from L2 or L3. Chunk by chunk across the group's panels (so that one
 * chunk of the activations served them all) read the weights in runs of one chunk of 96 rows in
 * turn: filling the panels took 40% of a 16-token Q8_0 prefill, at about 7 GB/s. Alternating
 * JVMs, old / new, on a Llama-3.2-1B Q8_0 file (2 threads, AMD EPYC Zen 4, 2026-12-05): 16 tokens
 * 339, 341 / 263, 276 ms; 32 tokens 446, 430 / 377, 386; 128 and 256 tokens unchanged (1303, 1293
 * / 1271, 1330 and 2670, 2611 / 2560, 2673). From {@link #CHUNKS_FIRST_FROM} vectors, where the
 * activations outgrow L2, a group goes chunk by chunk across its panels again.
 */
final class PanelMatMul {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.F_LANES;
    /**
     * Vectors of lanes per kernel call: 6 x 4 accumulators need AVX-512's 32 registers; narrower
     * machines (AVX2 has 16) get 4 x 2.
     */
    private static final int WIDE = L >= 16 ? 4 : 2;
    /**
     * Weight rows per kernel call; with {@link #WIDE} it sets the accumulator count. Six with
     * AVX-512's 32 registers, four with AVX2's 16: there six rows of two vectors (12 accumulators,
     * two activation vectors and the broadcast weights) did not fit, and C2 kept two accumulators
     * on the stack, a load, multiply-add and store per step, whose store-to-load chain bounded the
     * loop. The kernel alone, 2 x 8 lanes, 256 steps, in cache (AMD EPYC Zen 3, one core,
     * 2026-12-06, rounds of 0.3 s in one JVM): 6 rows 18.6-19.9, 4 rows 24.9-43.7, 5 rows 16.9-18.1
     * G multiply-adds per second.
     */
    private static final int PANEL_ROWS = WIDE == 4 ? 6 : 4;
    /** Whether the kernels' fifth and sixth rows exist: a constant, so C2 drops them on AVX2. */
    private static final boolean SIX_ROWS = PANEL_ROWS == 6;
    /** Columns per chunk: a multiple of every block size, small enough for the panel to sit in L1. */
    private static final int CHUNK = 256;
    /** Rows whose partial sums are kept across chunks. */
    private static final int GROUP_ROWS = 16 * PANEL_ROWS;
    /**
     * Vectors from which a group goes chunk by chunk across its panels (see the class comment).
     * From 64 vectors a 2048-column product's activations (512 KiB) no longer sit in L2 beside
     * everything else, and panel after panel re-read them from L3: chunk by chunk, 256-token Q8_0
     * prefills (batches of 128) took 0.934 and 0.953x the time (two builds in one JVM, AMD EPYC
     * Zen 5, 2026-12-07); 128 tokens 0.993, 64 tokens 1.008, 32 0.989, 16 1.019. Below, the
     * weights' streams matter more (the Zen 4 measurements in the class comment).
     */
    private static final int CHUNKS_FIRST_FROM = 64;
    /** Vectors per pass, which bounds the transposed copy at {@code cols * MAX_VECTORS} floats. */
    static final int MAX_VECTORS = 256;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private PanelMatMul() {
    }

    /** Per-thread buffers, grown on demand and reused across calls. */
    private static final class Scratch {
        final float[] panel = new float[PANEL_ROWS * CHUNK];
        final PackedActivations packed = new PackedActivations();
        float[] sums = new float[0];

        float[] sums(int size) {
            if (sums.length < size) {
                sums = new float[size];
            }
            return sums;
        }
    }

    /** Packs {@code n <= MAX_VECTORS} vectors of {@code cols} values, columns {@code [k0, k1)}; {@code k0} a multiple of 16. */
    static void pack(float[] x, int off, int n, int cols, int k0, int k1, PackedActivations into) {
        transpose(x, off, cols, n, into.xt, into.width, k0, k1);
    }

    static int paddedWidth(int n) {
        return (n + L - 1) / L * L;
    }

    static void matMul(WeightMatrix w, float[] x, int n, float[] out, int outStride, int r0, int r1) {
        int cols = w.cols();
        Scratch s = SCRATCH.get();
        for (int b0 = 0; b0 < n; b0 += MAX_VECTORS) {
            int count = Math.min(MAX_VECTORS, n - b0);
            s.packed.size(count, cols);
            pack(x, b0 * cols, count, cols, 0, cols, s.packed);
            w.multiplyPacked(s.packed, out, b0 * outStride, outStride, r0, r1);
        }
    }

    /** {@code out[outOff + j * outStride + r] = W[r] . vector j} for the packed vectors and rows {@code [r0, r1)}. */
    static void multiply(WeightMatrix w, PackedActivations a, float[] out, int outOff, int outStride, int r0, int r1) {
        Scratch s = SCRATCH.get();
        int cols = w.cols(), count = a.count, width = a.width;
        float[] xt = a.xt;
        int stride = sumsStride(width);
        for (int g0 = r0; g0 < r1; g0 += GROUP_ROWS) {
            int g1 = Math.min(r1, g0 + GROUP_ROWS);
            int panels = (g1 - g0 + PANEL_ROWS - 1) / PANEL_ROWS;
            float[] sums = s.sums(panels * PANEL_ROWS * stride);
            Arrays.fill(sums, 0, panels * PANEL_ROWS * stride, 0f);
            if (width >= CHUNKS_FIRST_FROM) {
                for (int k0 = 0; k0 < cols; k0 += CHUNK) {
                    int len = Math.min(CHUNK, cols - k0);
                    for (int p = 0; p < panels; p++) {
                        loadPanel(w, g0 + p * PANEL_ROWS, g1, k0, len, s.panel);
                        multiplyPanel(s.panel, len, xt, cols, k0, width, sums, stride, p * PANEL_ROWS * stride);
                    }
                }
            } else {
                for (int p = 0; p < panels; p++) {
                    for (int k0 = 0; k0 < cols; k0 += CHUNK) {
                        int len = Math.min(CHUNK, cols - k0);
                        loadPanel(w, g0 + p * PANEL_ROWS, g1, k0, len, s.panel);
                        multiplyPanel(s.panel, len, xt, cols, k0, width, sums, stride, p * PANEL_ROWS * stride);
                    }
                }
            }
            // Vector by vector, so that the writes to out are adjacent (see QuantizedPanelMatMul).
            for (int j = 0; j < count; j++) {
                int dst = outOff + j * outStride;
                for (int r = g0; r < g1; r++) {
                    out[dst + r] = sums[(r - g0) * stride + j];
                }
            }
        }
    }

    /**
     * The distance between two rows of partial sums: the smallest odd number of 64-byte lines that
     * holds {@code width} floats, so that the column of a group's sums copied out for one vector
     * falls into as many L1 sets as there are rows. At {@code width} (256 floats, 1 KiB, for a
     * 256-token prompt) the 96 rows of a group fell into 4 sets of 8 lines, and
     * every read of the copy missed L1: the copy took 1.7% of a 256-token Q8_0 prefill of a
     * Llama-3.2-1B file (AMD EPYC Zen 4, perf).
     */
    static int sumsStride(int width) {
        return 16 * ((width + 15) / 16 | 1);
    }

    /**
     * Lanes {@code [b, b + blockWidth(b, width))} form one block, stored from {@code xt[b * cols]} as
     * {@code [cols][blockWidth]}: blocks of {@code 4L} lanes (when the kernel is that wide) while
     * they fit, then {@code 2L}, then {@code L}.
     */
    static int blockWidth(int b, int width) {
        int left = width - b;
        if (WIDE == 4 && left >= 4 * L) {
            return 4 * L;
        }
        return left >= 2 * L ? 2 * L : L;
    }

    /**
     * Packs vector {@code j} ({@code x[off + j * cols ..]}) into lane {@code j} of its block; lanes
     * from {@code count} to {@code width} are zero. Done in tiles of 16 columns so that the lines
     * written stay in L1 while all vectors fill them.
     */
    private static void transpose(float[] x, int off, int cols, int count, float[] xt, int width, int kFrom, int kTo) {
        for (int k0 = kFrom; k0 < kTo; k0 += 16) {
            int k1 = Math.min(kTo, k0 + 16);
            for (int b = 0; b < width; ) {
                int bw = blockWidth(b, width);
                int base = b * cols;
                int end = Math.min(count, b + bw);
                for (int j = b; j < end; j++) {
                    int src = off + j * cols;
                    int lane = base + (j - b);
                    for (int k = k0; k < k1; k++) {
                        xt[lane + k * bw] = x[src + k];
                    }
                }
                if (end < b + bw) {
                    for (int k = k0; k < k1; k++) {
                        Arrays.fill(xt, base + k * bw + Math.max(0, end - b), base + (k + 1) * bw, 0f);
                    }
                }
                b += bw;
            }
        }
    }

    /**
     * Dequantizes columns {@code [k0, k0 + len)} of the panel's rows into {@code panel}; rows at or
     * past {@code end} are zero.
     */
    private static void loadPanel(WeightMatrix w, int row, int end, int k0, int len, float[] panel) {
        for (int i = 0; i < PANEL_ROWS; i++) {
            if (row + i < end) {
                w.dequantize(row + i, k0, len, panel, i * CHUNK);
            } else {
                Arrays.fill(panel, i * CHUNK, i * CHUNK + len, 0f);
            }
        }
    }

    /** Multiplies the panel (columns {@code [k0, k0 + len)}) into every block of packed vectors. */
    private static void multiplyPanel(float[] panel, int len, float[] xt, int cols, int k0, int width, float[] sums, int stride, int sOff) {
        for (int b = 0; b < width; ) {
            int bw = blockWidth(b, width);
            int xOff = b * cols + k0 * bw;
            if (bw == 4 * L) {
                kernel4(panel, len, xt, xOff, stride, sums, sOff + b);
            } else if (bw == 2 * L) {
                kernel2(panel, len, xt, xOff, stride, sums, sOff + b);
            } else {
                kernel1(panel, len, xt, xOff, stride, sums, sOff + b);
            }
            b += bw;
        }
    }

    /**
     * For the six panel rows {@code i} and four lane vectors {@code v}:
     * {@code sums[sOff + i * stride + v * L + lane] +=}
     * {@code sum over k of panel[i * CHUNK + k] * xt[xOff + k * 4L + v * L + lane]}; {@code stride} is
     * the row stride of {@code sums}.
     */
    private static void kernel4(float[] w, int len, float[] xt, int xOff, int stride, float[] sums, int sOff) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
        FloatVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        for (int k = 0; k < len; k++) {
            int xk = xOff + k * (4 * L);
            FloatVector x0 = FloatVector.fromArray(F, xt, xk);
            FloatVector x1 = FloatVector.fromArray(F, xt, xk + L);
            FloatVector x2 = FloatVector.fromArray(F, xt, xk + 2 * L);
            FloatVector x3 = FloatVector.fromArray(F, xt, xk + 3 * L);
            FloatVector a = FloatVector.broadcast(F, w[k]);
            c00 = a.fma(x0, c00);
            c01 = a.fma(x1, c01);
            c02 = a.fma(x2, c02);
            c03 = a.fma(x3, c03);
            a = FloatVector.broadcast(F, w[CHUNK + k]);
            c10 = a.fma(x0, c10);
            c11 = a.fma(x1, c11);
            c12 = a.fma(x2, c12);
            c13 = a.fma(x3, c13);
            a = FloatVector.broadcast(F, w[2 * CHUNK + k]);
            c20 = a.fma(x0, c20);
            c21 = a.fma(x1, c21);
            c22 = a.fma(x2, c22);
            c23 = a.fma(x3, c23);
            a = FloatVector.broadcast(F, w[3 * CHUNK + k]);
            c30 = a.fma(x0, c30);
            c31 = a.fma(x1, c31);
            c32 = a.fma(x2, c32);
            c33 = a.fma(x3, c33);
            a = FloatVector.broadcast(F, w[4 * CHUNK + k]);
            c40 = a.fma(x0, c40);
            c41 = a.fma(x1, c41);
            c42 = a.fma(x2, c42);
            c43 = a.fma(x3, c43);
            a = FloatVector.broadcast(F, w[5 * CHUNK + k]);
            c50 = a.fma(x0, c50);
            c51 = a.fma(x1, c51);
            c52 = a.fma(x2, c52);
            c53 = a.fma(x3, c53);
        }
        // Stores are written out here: a vector passed to a method C2 declines to inline gets boxed,
        // and the boxing then reaches back into the loop.
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
        o += stride;
        c40.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c41.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        c42.add(FloatVector.fromArray(F, sums, o + 2 * L)).intoArray(sums, o + 2 * L);
        c43.add(FloatVector.fromArray(F, sums, o + 3 * L)).intoArray(sums, o + 3 * L);
        o += stride;
        c50.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
        c51.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        c52.add(FloatVector.fromArray(F, sums, o + 2 * L)).intoArray(sums, o + 2 * L);
        c53.add(FloatVector.fromArray(F, sums, o + 3 * L)).intoArray(sums, o + 3 * L);
    }

    private static void kernel2(float[] w, int len, float[] xt, int xOff, int stride, float[] sums, int sOff) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00;
        FloatVector c50 = c00, c51 = c00;
        for (int k = 0; k < len; k++) {
            int xk = xOff + k * (2 * L);
            FloatVector x0 = FloatVector.fromArray(F, xt, xk);
            FloatVector x1 = FloatVector.fromArray(F, xt, xk + L);
            FloatVector a = FloatVector.broadcast(F, w[k]);
            c00 = a.fma(x0, c00);
            c01 = a.fma(x1, c01);
            a = FloatVector.broadcast(F, w[CHUNK + k]);
            c10 = a.fma(x0, c10);
            c11 = a.fma(x1, c11);
            a = FloatVector.broadcast(F, w[2 * CHUNK + k]);
            c20 = a.fma(x0, c20);
            c21 = a.fma(x1, c21);
            a = FloatVector.broadcast(F, w[3 * CHUNK + k]);
            c30 = a.fma(x0, c30);
            c31 = a.fma(x1, c31);
            if (SIX_ROWS) {
                a = FloatVector.broadcast(F, w[4 * CHUNK + k]);
                c40 = a.fma(x0, c40);
                c41 = a.fma(x1, c41);
                a = FloatVector.broadcast(F, w[5 * CHUNK + k]);
                c50 = a.fma(x0, c50);
                c51 = a.fma(x1, c51);
            }
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
        if (SIX_ROWS) {
            o += stride;
            c40.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
            c41.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
            o += stride;
            c50.add(FloatVector.fromArray(F, sums, o)).intoArray(sums, o);
            c51.add(FloatVector.fromArray(F, sums, o + L)).intoArray(sums, o + L);
        }
    }

    /**
     * One lane vector: two sets of accumulators, even and odd {@code k} (and the last {@code k} of
     * an odd {@code len} in the first), since one set of four leaves the FMAs waiting on their
     * latency (see {@code InterleavedFloatMatMul.kernel1}).
     */
    private static void kernel1(float[] w, int len, float[] xt, int xOff, int stride, float[] sums, int sOff) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector d0 = c0, d1 = c0, d2 = c0, d3 = c0, d4 = c0, d5 = c0;
        int k = 0;
        for (; k + 1 < len; k += 2) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xOff + k * L);
            FloatVector x1 = FloatVector.fromArray(F, xt, xOff + k * L + L);
            c0 = FloatVector.broadcast(F, w[k]).fma(x0, c0);
            c1 = FloatVector.broadcast(F, w[CHUNK + k]).fma(x0, c1);
            c2 = FloatVector.broadcast(F, w[2 * CHUNK + k]).fma(x0, c2);
            c3 = FloatVector.broadcast(F, w[3 * CHUNK + k]).fma(x0, c3);
            d0 = FloatVector.broadcast(F, w[k + 1]).fma(x1, d0);
            d1 = FloatVector.broadcast(F, w[CHUNK + k + 1]).fma(x1, d1);
            d2 = FloatVector.broadcast(F, w[2 * CHUNK + k + 1]).fma(x1, d2);
            d3 = FloatVector.broadcast(F, w[3 * CHUNK + k + 1]).fma(x1, d3);
            if (SIX_ROWS) {
                c4 = FloatVector.broadcast(F, w[4 * CHUNK + k]).fma(x0, c4);
                c5 = FloatVector.broadcast(F, w[5 * CHUNK + k]).fma(x0, c5);
                d4 = FloatVector.broadcast(F, w[4 * CHUNK + k + 1]).fma(x1, d4);
                d5 = FloatVector.broadcast(F, w[5 * CHUNK + k + 1]).fma(x1, d5);
            }
        }
        if (k < len) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xOff + k * L);
            c0 = FloatVector.broadcast(F, w[k]).fma(x0, c0);
            c1 = FloatVector.broadcast(F, w[CHUNK + k]).fma(x0, c1);
            c2 = FloatVector.broadcast(F, w[2 * CHUNK + k]).fma(x0, c2);
            c3 = FloatVector.broadcast(F, w[3 * CHUNK + k]).fma(x0, c3);
            if (SIX_ROWS) {
                c4 = FloatVector.broadcast(F, w[4 * CHUNK + k]).fma(x0, c4);
                c5 = FloatVector.broadcast(F, w[5 * CHUNK + k]).fma(x0, c5);
            }
        }
        c0.add(d0).add(FloatVector.fromArray(F, sums, sOff)).intoArray(sums, sOff);
        c1.add(d1).add(FloatVector.fromArray(F, sums, sOff + stride)).intoArray(sums, sOff + stride);
        c2.add(d2).add(FloatVector.fromArray(F, sums, sOff + 2 * stride)).intoArray(sums, sOff + 2 * stride);
        c3.add(d3).add(FloatVector.fromArray(F, sums, sOff + 3 * stride)).intoArray(sums, sOff + 3 * stride);
        if (SIX_ROWS) {
            c4.add(d4).add(FloatVector.fromArray(F, sums, sOff + 4 * stride)).intoArray(sums, sOff + 4 * stride);
            c5.add(d5).add(FloatVector.fromArray(F, sums, sOff + 5 * stride)).intoArray(sums, sOff + 5 * stride);
        }
    }
}
