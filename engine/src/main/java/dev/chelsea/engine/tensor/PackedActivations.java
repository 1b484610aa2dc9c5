package dev.chelsea.engine.tensor;

/**
 * Activation vectors transposed and packed for the prefill kernel ({@link PanelMatMul}). Packing
 * costs about as much as a small product, so it is done once per input and shared: by every thread
 * working on a product, and by the products that read the same input (Q, K and V; gate and up).
 * Instances are reused buffers: valid until they are packed again.
 */
public final class PackedActivations {
    float[] xt = new float[0];
    int count;
    int cols;
    int width;

    /** Vectors per packing (one pass of the panel kernel). */
    public static final int MAX_VECTORS = PanelMatMul.MAX_VECTORS;

    /**
     * Sizes this buffer for {@code n} vectors of {@code cols} values; the contents are undefined
     * until packed. Worth it from a matrix's {@link WeightMatrix#batchFrom} vectors on.
     */
    public void reset(int n, int cols) {
        if (n < 1 || n > MAX_VECTORS) {
            throw new IllegalArgumentException(n + " vectors cannot be packed (between 1 and " + MAX_VECTORS + ")");
        }
        if (cols < 1) {
            throw new IllegalArgumentException("vectors need at least one value, got " + cols);
        }
        size(n, cols);
    }

    void size(int n, int cols) {
        this.count = n;
        this.cols = cols;
        this.width = PanelMatMul.paddedWidth(n);
        if (xt.length < cols * width) {
            xt = new float[cols * width];
        }
    }

    /**
     * Packs columns {@code [k0, k1)} of the {@code count} vectors stored back to back in {@code x};
     * {@code k0} is a multiple of 16, so threads can pack disjoint column ranges at once.
     */
    public void pack(float[] x, int k0, int k1) {
        if (k0 < 0 || k0 % 16 != 0 || k1 > cols || k0 > k1) {
            throw new IllegalArgumentException("columns [" + k0 + ", " + k1 + ") of " + cols);
        }
        if ((long) count * cols > x.length) {
            throw new IllegalArgumentException(count + " vectors of " + cols + " values do not fit in x (length " + x.length + ")");
        }
        PanelMatMul.pack(x, 0, count, cols, k0, k1, this);
    }

    public int count() {
        return count;
    }

    public int cols() {
        return cols;
    }
}
