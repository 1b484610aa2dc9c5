package dev.chelsea.engine.kernel;

import dev.chelsea.engine.tensor.WeightMatrix;

/** Multi-threaded products of a weight matrix with activation vectors. */
public final class MatMul {
    private MatMul() {
    }

    /** {@code out[b * w.rows() + r] = W[r] . x[b * w.cols() ..]} for {@code n} vectors, rows split across threads. */
    public static void matMul(Parallel parallel, WeightMatrix w, float[] x, int n, float[] out) {
        parallel.forRange(w.rows(), 16, (r0, r1) -> w.matMul(x, n, out, w.rows(), r0, r1));
    }
}
