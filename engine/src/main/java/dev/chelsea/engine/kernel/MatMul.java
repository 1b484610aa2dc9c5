package dev.chelsea.engine.kernel;

import dev.chelsea.engine.tensor.PackedActivations;
import dev.chelsea.engine.tensor.QuantizedActivations;
import dev.chelsea.engine.tensor.WeightMatrix;

/** Multi-threaded products of weight matrices with activation vectors. */
public final class MatMul {
    /**
     * Multiply-adds below which one thread does the whole product: handing work to the workers
     * costs a few microseconds, about what one core needs for this much work.
     */
    private static final long MIN_PARALLEL_WORK = 1L << 17;
    /** Rows per range: enough that a range streams whole cache lines of output and weights. */
    private static final int GRAIN = 16;
    /** Columns per packing range (the packing works in tiles of 16 columns). */
    private static final int PACK_GRAIN = 64;

    /** Each calling thread packs into its own buffer, which the workers read during the call. */
    private static final ThreadLocal<PackedActivations> PACKED = ThreadLocal.withInitial(PackedActivations::new);
    /**
     * Likewise for the 8-bit activations of the integer kernels, one buffer per form: by vector or
     * in the batch layout ({@link WeightMatrix#batchFrom}), each with a scale per 32 or per 256
     * values ({@link WeightMatrix#superBlockActivations}); index {@link #form}.
     */
    private static final ThreadLocal<QuantizedActivations[]> QUANTIZED = ThreadLocal.withInitial(() -> {
        QuantizedActivations[] q = new QuantizedActivations[4];
        for (int i = 0; i < q.length; i++) {
            q[i] = new QuantizedActivations();
        }
        return q;
    });

    private MatMul() {
    }

    /** {@code out[b * w.rows() + r] = W[r] . x[b * w.cols() ..]} for {@code n} vectors, rows split across threads. */
    public static void matMul(Parallel parallel, WeightMatrix w, float[] x, int n, float[] out) {
        matMul(parallel, x, n, new WeightMatrix[]{w}, new float[][]{out});
    }

    /**
     * The products of several matrices that read the same input ({@code ws[i]} into {@code outs[i]},
     * laid out as in {@link #matMul(Parallel, WeightMatrix, float[], int, float[])}), run as one
     * parallel job over all their rows: one hand-off to the workers instead of one per matrix, and
     * for a batch the input is packed once for all of them.
     */
    public static void matMul(Parallel parallel, float[] x, int n, WeightMatrix[] ws, float[][] outs) {
        if (ws.length == 0 || ws.length != outs.length) {
            throw new IllegalArgumentException(ws.length + " matrices for " + outs.length + " outputs");
        }
        int cols = ws[0].cols();
        int[] start = new int[ws.length + 1];
        for (int i = 0; i < ws.length; i++) {
            if (ws[i].cols() != cols) {
                throw new IllegalArgumentException("matrices sharing an input must have the same columns: "
                        + ws[i].cols() + " and " + cols);
            }
            start[i + 1] = start[i] + ws[i].rows();
        }
        int total = start[ws.length];
        boolean serial = (long) total * cols * n < MIN_PARALLEL_WORK;
        boolean pack = false;
        for (WeightMatrix w : ws) {
            pack |= !w.integerKernels(n) && n >= w.batchFrom() && n <= PackedActivations.MAX_VECTORS;
        }
        int forms = quantizedForms(ws, n);
        // Quantized once per product and form, before the rows are split: every row range reads
        // the same 8-bit values, so results do not depend on the number of threads. Matrices
        // sharing an input may want different forms (the batch layout for some and not others at
        // a few vectors; a K format next to a Q5_0 one).
        QuantizedActivations[] buffers = QUANTIZED.get();
        for (int f = 0; f < buffers.length; f++) {
            if ((forms & 1 << f) != 0) {
                quantize(parallel, serial, buffers[f], x, n, cols, f);
            }
        }
        PackedActivations packed = null;
        if (pack) {
            PackedActivations p = PACKED.get();
            p.reset(n, cols);
            if (serial) {
                p.pack(x, 0, cols);
            } else {
                parallel.forRange(cols, PACK_GRAIN, (k0, k1) -> p.pack(x, k0, k1));
            }
            packed = p;
        }
        PackedActivations a = packed;
        Parallel.RangeTask task = (r0, r1) -> {
            for (int i = 0; i < ws.length; i++) {
                int lo = Math.max(r0, start[i]) - start[i];
                int hi = Math.min(r1, start[i + 1]) - start[i];
                if (lo < hi) {
                    WeightMatrix w = ws[i];
                    boolean wBatch = n >= w.batchFrom();
                    int f = form(w, n);
                    QuantizedActivations q = (forms & 1 << f) != 0 ? buffers[f] : null;
                    if (q != null && w.integerKernels(n)) {
                        w.matMul(q, outs[i], w.rows(), lo, hi);
                    } else if (a != null && wBatch && !w.integerKernels(n)) {
                        w.matMul(a, outs[i], w.rows(), lo, hi);
                    } else {
                        w.matMul(x, n, outs[i], w.rows(), lo, hi);
                    }
                }
            }
        };
        if (serial) {
            task.run(0, total);
        } else {
            parallel.forRange(total, GRAIN, task);
        }
    }

    /** Which form of quantized activations {@code w} takes for {@code n} vectors: batch layout 2, plus 1 for a scale per 256. */
    private static int form(WeightMatrix w, int n) {
        return (n >= w.batchFrom() ? 2 : 0) + (w.superBlockActivations() ? 1 : 0);
    }

    /** Bit {@link #form} of each matrix with integer kernels, where the activations fit one quantized buffer. */
    private static int quantizedForms(WeightMatrix[] ws, int n) {
        int forms = 0;
        for (WeightMatrix w : ws) {
            if (w.integerKernels(n) && n <= QuantizedActivations.MAX_VECTORS) {
                forms |= 1 << form(w, n);
            }
        }
        return forms;
    }

    private static void quantize(Parallel parallel, boolean serial, QuantizedActivations q, float[] x, int n, int cols, int form) {
        q.reset(n, cols, form >= 2, (form & 1) != 0);
        if (serial || n == 1) {
            q.quantize(x);
        } else {
            // Split by whole scales: a super-block's scale is the largest magnitude of all its blocks.
            int per = q.blocksPerScale();
            parallel.forRange(cols / QuantizedActivations.BLOCK / per, 1, (s0, s1) -> q.quantizeBlocks(x, s0 * per, s1 * per));
        }
    }
}
