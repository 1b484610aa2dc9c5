package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.gguf.GgufTensorInfo;

import java.lang.foreign.MemorySegment;

/**
 * A row-major weight matrix ({@code rows} rows of {@code cols} values) held in its GGUF storage
 * type inside the memory-mapped file. Each storage type is one subclass that knows how to
 * dequantize and how to dot a row with float activations; everything else (threading, the model)
 * is written once against this class.
 */
public abstract class WeightMatrix {
    protected final MemorySegment data;
    protected final int rows;
    protected final int cols;

    protected WeightMatrix(MemorySegment data, int rows, int cols) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
    }

    /** Wraps a GGUF tensor; fails with {@link UnsupportedTensorTypeException} for types without kernels. */
    public static WeightMatrix of(GgufTensorInfo t) {
        return TensorTypes.wrap(t.type(), t.data(), t.rows(), t.cols(), t.name());
    }

    public abstract GgmlType type();

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    public final MemorySegment data() {
        return data;
    }

    /** Dot product of row {@code row} with {@code x[xOffset .. xOffset + cols)}. */
    public abstract float dot(int row, float[] x, int xOffset);

    /** Writes row {@code row} as floats into {@code dst[dstOffset .. dstOffset + cols)}. */
    public abstract void dequantizeRow(int row, float[] dst, int dstOffset);

    /**
     * Matrix product over rows {@code [r0, r1)} for {@code n} activation vectors:
     * {@code out[b * outStride + r] = dot(r, x, b * cols)}. Single-threaded; callers split rows
     * across threads. Types override it to reuse each decoded weight block for several vectors.
     */
    public void matMul(float[] x, int n, float[] out, int outStride, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            for (int b = 0; b < n; b++) {
                out[b * outStride + r] = dot(r, x, b * cols);
            }
        }
    }
}
