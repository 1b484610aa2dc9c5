package dev.chelsea.engine.kernel;

import dev.chelsea.engine.tensor.WeightMatrix;

/** Multi-threaded products of a weight matrix with activation vectors. */
public final class MatMul {
    /**
     * Multiply-adds below which one thread does the whole product: handing work to the pool and
     * joining costs some microseconds, about what one core needs for this much work.
     */
    private static final long MIN_PARALLEL_WORK = 1L << 17;
    /** Rows per range: enough that a range streams whole cache lines of output and weights. */
    private static final int GRAIN = 16;

    private MatMul() {
    }

    /** {@code out[b * w.rows() + r] = W[r] . x[b * w.cols() ..]} for {@code n} vectors, rows split across threads. */
    public static void matMul(Parallel parallel, WeightMatrix w, float[] x, int n, float[] out) {
        if ((long) w.rows() * w.cols() * n < MIN_PARALLEL_WORK) {
            w.matMul(x, n, out, w.rows(), 0, w.rows());
            return;
        }
        parallel.forRange(w.rows(), GRAIN, (r0, r1) -> w.matMul(x, n, out, w.rows(), r0, r1));
    }
}
