package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.gguf.GgufTensorInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * A row-major weight matrix ({@code rows} rows of {@code cols} values) held in its GGUF storage
 * type inside the memory-mapped file. Each storage type is one subclass that knows how to
 * dequantize and how to dot a row with float activations; everything else (threading, the model)
 * is written once against this class.
 */
public abstract class WeightMatrix {
    /**
     * All of the process's native memory as one segment, through which Q8_0's kernels read the
     * file at {@link #address} plus an offset rather than through {@link #data}. A segment held in
     * a field is known to C2 only through the type profiles of the JDK's shared access methods,
     * which every segment of the process feeds; a compile made after they were polluted (here:
     * after a model's prefills) kept a class, session and bounds check in every load of Q8_0's
     * decode loop, and the step ran 20-45% slower. This constant C2 knows exactly: Llama-3.2-1B
     * Q8_0 decode after prefills, both forms in one JVM, 106 against 85 ms a step (AMD EPYC, Zen 3,
     * 2 threads; docs/performance.md, fourteenth session). The other types read their segments as
     * before: with every kernel on this segment, clean clones' CI runs found parts of Q4_K's and
     * Q6_K's decode kernels in the Vector API's fallback in 2 of 3 full builds (none before).
     * What the checks guarded is kept elsewhere: the products check their ranges on entry, and the
     * mapped file is unmapped only after the steps in flight have ended ({@code Model.close}).
     */
    static final MemorySegment MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    protected final MemorySegment data;
    /** Where {@link #data} starts in {@link #MEMORY}. */
    protected final long address;
    protected final int rows;
    protected final int cols;
    /** Bytes of one row: rows are whole blocks, stored back to back. */
    protected final long rowBytes;
    private final GgmlType type;

    protected WeightMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException(type + " matrix must have at least one row and column, got "
                    + rows + "x" + cols);
        }
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException(type + " rows must be whole blocks of " + type.blockSize
                    + " values, got " + cols + " columns");
        }
        this.rowBytes = (long) (cols / type.blockSize) * type.bytesPerBlock;
        long needed = rowBytes * rows;
        if (data.byteSize() < needed) {
            throw new IllegalArgumentException(type + " matrix " + rows + "x" + cols + " needs " + needed
                    + " bytes, the data has " + data.byteSize());
        }
        this.type = type;
        // Weights on the heap (tests) have no address: a native copy, freed with the matrix.
        this.data = data.isNative() ? data : Arena.ofAuto().allocate(data.byteSize(), 64).copyFrom(data);
        this.address = this.data.address();
        this.rows = rows;
        this.cols = cols;
    }

    /** Wraps a GGUF tensor; fails with {@link UnsupportedTensorTypeException} for types without kernels. */
    public static WeightMatrix of(GgufTensorInfo t) {
        return TensorTypes.wrap(t.type(), t.data(), t.rows(), t.cols(), t.name());
    }

    public final GgmlType type() {
        return type;
    }

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

    /**
     * Dots four rows, {@code row + k * stride} for {@code k = 0..3}, with {@code x[xOffset ..]} and
     * writes each result to {@code out[outOffset + thatRow]}. Types used for decoding override it
     * with one loop over the four rows: four streams far apart in memory keep more reads in flight
     * per core than one row after another (a Q8_0 matrix larger than the caches streams at 10.5
     * instead of 6 GB/s per core here), and each activation load serves four rows.
     */
    void dot4(int row, int stride, float[] x, int xOffset, float[] out, int outOffset) {
        for (int k = 0; k < 4; k++) {
            int r = row + k * stride;
            out[outOffset + r] = dot(r, x, xOffset);
        }
    }

    /**
     * Writes {@code len} values of row {@code row}, starting at column {@code col}, into
     * {@code dst[dstOffset ..]}. {@code col} is a multiple of the block size, and so is {@code len}
     * unless the range ends the row.
     */
    abstract void dequantize(int row, int col, int len, float[] dst, int dstOffset);

    /** Writes row {@code row} as floats into {@code dst[dstOffset .. dstOffset + cols)}. */
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        dequantize(row, 0, cols, dst, dstOffset);
        Reference.reachabilityFence(this);
    }

    /**
     * Matrix product over rows {@code [r0, r1)} for {@code n} activation vectors:
     * {@code out[b * outStride + r] = dot(r, x, b * cols)}. Single-threaded; callers split rows
     * across threads. From {@link #batchFrom} vectors on, each weight is dequantized once per call
     * and reused for all vectors (see {@link PanelMatMul}); below that, the fused per-row
     * {@link #dot} is cheaper. The choice depends on {@code n} and the type only, never on the row
     * range, so a row's result does not depend on how rows were split across threads.
     */
    public void matMul(float[] x, int n, float[] out, int outStride, int r0, int r1) {
        checkMatMul(x, n, out, outStride, r0, r1);
        if (n >= batchFrom()) {
            PanelMatMul.matMul(this, x, n, out, outStride, r0, r1);
            Reference.reachabilityFence(this);
            return;
        }
        // The rows are dealt out as four quarters read side by side (see dot4); each group of four
        // rows is dotted with every vector while it is still in the L1 cache.
        int quarter = (r1 - r0) / 4;
        for (int r = r0; r < r0 + quarter; r++) {
            for (int b = 0; b < n; b++) {
                dot4(r, quarter, x, b * cols, out, b * outStride);
            }
        }
        for (int r = r0 + 4 * quarter; r < r1; r++) {
            for (int b = 0; b < n; b++) {
                out[b * outStride + r] = dot(r, x, b * cols);
            }
        }
        Reference.reachabilityFence(this);
    }

    /**
     * The same product on activations packed once for several calls ({@link PackedActivations}):
     * {@code out[j * outStride + r] = dot(r, vector j)} for rows {@code [r0, r1)}.
     */
    public void matMul(PackedActivations a, float[] out, int outStride, int r0, int r1) {
        checkActivations(a.cols(), a.count(), out, outStride, r0, r1);
        multiplyPacked(a, out, 0, outStride, r0, r1);
        Reference.reachabilityFence(this);
    }

    /**
     * {@code out[outOff + j * outStride + r] = W[r] . vector j} for the packed vectors and rows
     * {@code [r0, r1)}, checked by the caller: every batch on floats goes through here
     * ({@link #matMul(PackedActivations, float[], int, int, int)}, and {@link PanelMatMul#matMul}
     * pass by pass). {@link PanelMatMul} on rows this type {@link #dequantize}s;
     * {@link InterleavedMatrix} decodes from its interleaved copy instead.
     */
    void multiplyPacked(PackedActivations a, float[] out, int outOff, int outStride, int r0, int r1) {
        PanelMatMul.multiply(this, a, out, outOff, outStride, r0, r1);
    }

    /**
     * The fewest vectors for which a product runs this type's batch kernel ({@link PanelMatMul}, or
     * {@link QuantizedPanelMatMul} for the {@link #integerKernels} types) instead of its kernels for
     * a few vectors (the per-row {@link #dot}, or {@code gemv}). Both read each weight once per call,
     * but a batch kernel call costs the same for any count up to a tile of lanes, where the others
     * cost in proportion to the count; so the crossing point depends on how cheap a type's per-vector
     * kernel is, and is measured per type. It depends on the type only, never on rows or threads, so
     * that results do not depend on how a product is split. For F32, F16 and BF16, 5 vectors at 16
     * lanes (measured in the first session).
     */
    public int batchFrom() {
        return batchFromLanes(5);
    }

    /**
     * The vectors in the narrowest tile of the batch kernels ({@link PanelMatMul},
     * {@link QuantizedPanelMatMul}): a batch of a multiple of twice this many, less this many,
     * ends in that tile, so it runs the kernels of every tile width.
     */
    public static int tileVectors() {
        return Simd.F_LANES;
    }

    /**
     * A crossing point measured at {@code atSixteen} vectors with 16 lanes, scaled to this machine's
     * lanes (a batch kernel's tile is a number of lane vectors).
     */
    static int batchFromLanes(int atSixteen) {
        return Math.max(2, (atSixteen * Simd.F_LANES + 8) / 16);
    }

    /**
     * The 8-bit activations a matrix quantizes itself, per thread, where
     * {@link #matMul(float[], int, float[], int, int, int)} is called directly rather than through
     * {@code MatMul} (which quantizes once for all threads): shared by every type that does.
     */
    static final ThreadLocal<QuantizedActivations> OWN_ACTIVATIONS = ThreadLocal.withInitial(QuantizedActivations::new);

    /**
     * Whether products of {@code n} vectors run on 8-bit activations ({@link QuantizedActivations},
     * through {@link #matMul(QuantizedActivations, float[], int, int, int)}) rather than on floats:
     * for every count for the {@link InterleavedMatrix} formats, for a few vectors for Q8_0 on some
     * machines, never for the float formats. Depends on {@code n} and the type only.
     */
    public boolean integerKernels(int n) {
        return false;
    }

    /**
     * Whether this matrix's integer kernels take activations with one scale per 256 values
     * ({@link QuantizedActivations#superBlocks}, llama.cpp's Q8_K) rather than one per 32: the K
     * formats, whose super-blocks then need one float conversion each in the kernels for a few
     * vectors, as in llama.cpp.
     */
    public boolean superBlockActivations() {
        return false;
    }

    /**
     * The product on activations quantized once for several calls: {@code out[j * outStride + r]}
     * for rows {@code [r0, r1)}, for the counts with {@link #integerKernels}.
     */
    public void matMul(QuantizedActivations a, float[] out, int outStride, int r0, int r1) {
        throw new UnsupportedOperationException(type + " products run on float activations");
    }

    final void checkMatMul(float[] x, int n, float[] out, int outStride, int r0, int r1) {
        if (n < 0 || (long) n * cols > x.length) {
            throw new IllegalArgumentException(n + " vectors of " + cols + " values do not fit in x (length "
                    + x.length + ")");
        }
        checkRows(n, out, outStride, r0, r1);
    }

    /** {@link #checkRows}, after checking that activations of {@code activationCols} values fit this matrix's columns. */
    final void checkActivations(int activationCols, int n, float[] out, int outStride, int r0, int r1) {
        if (activationCols != cols) {
            throw new IllegalArgumentException("activations of " + activationCols + " values for a matrix of " + cols + " columns");
        }
        checkRows(n, out, outStride, r0, r1);
    }

    final void checkRows(int n, float[] out, int outStride, int r0, int r1) {
        if (r0 < 0 || r1 > rows || r0 > r1) {
            throw new IllegalArgumentException("row range [" + r0 + ", " + r1 + ") outside [0, " + rows + ")");
        }
        if (n > 0 && r1 > r0 && ((n > 1 && outStride < r1) || (long) (n - 1) * outStride + r1 > out.length)) {
            throw new IllegalArgumentException("out (length " + out.length + ", stride " + outStride
                    + ") cannot hold " + n + " vectors of rows [" + r0 + ", " + r1 + ")");
        }
    }
}
