package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.stream.IntStream;

import static dev.chelsea.engine.tensor.Simd.B;
import static dev.chelsea.engine.tensor.Simd.BYTE_PARTS;
import static dev.chelsea.engine.tensor.Simd.B_LANES;
import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.I;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.AND;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.XOR;

/**
 * Q8_0: blocks of 32 values, {@code block_q8_0 { fp16 d; int8 qs[32]; }}, value = d * q.
 *
 * <p>Products of a few vectors run one of two kernels, chosen once per JVM ({@link #INTEGER_DECODE}).
 * With 16 float lanes (AVX-512) the float kernel ({@link #dot4}): bytes widened to floats and
 * multiplied by the activations, which there streams the weights at memory speed (1.03x
 * llama.cpp's decode, measured in earlier sessions). With 8 lanes or fewer (AVX2, 128-bit machines)
 * that kernel is bound by its instructions, not by memory: each 8-byte load widened, converted and
 * multiplied, about 3 cycles per 8 products on an AMD EPYC (Zen 3, AVX2), one core reading 6.4 GB/s
 * from the cache. There the products run on 8-bit activations ({@link QuantizedActivations}), as
 * llama.cpp multiplies Q8_0 with Q8_0, in integers ({@link #integerDot3}), and the batch kernel
 * ({@link PanelMatMul}) still reads floats. There the blocks are also copied apart when the matrix
 * is wrapped ({@link #SPLIT}): each row's values back to back, 32-byte aligned, and the scales in an
 * array of their own, so that no value load straddles two cache lines (the file's 34-byte blocks put
 * half of them across one) and a row's values are one stream; the file's pages are then released,
 * as the interleaved formats release theirs. Every kernel here reads whichever layout this JVM
 * uses, through {@link #values} and {@link #scalesAt}. The copy is read by address in
 * {@link #dot}, {@link #dot4} and {@link #integerDot3}'s caller, so each keeps this matrix (which
 * holds the copy) reachable to its end.
 */
final class Q8_0Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 34;
    /**
     * Whether products of fewer than {@link #batchFrom} vectors run on 8-bit activations: where an
     * int vector holds at most the 32 bytes of a block's values (8 lanes or fewer). Same machine as
     * above ({@code MatMulBenchmarkMain Q8_0}, 2026-12-06): one vector times 8192 x 2048 weights on
     * one core 2.65-2.80 ms float, 1.38-1.47 ms integer (two rows side by side; three now, see
     * {@link #multiply}); times 262144 x 2048 on two cores 12.4 and 19.8-24.2 GB/s. The batch
     * kernel still starts at 5 vectors (8 lanes): 1.45 ms a vector here (5.80 ms for 4), 5.7-5.9 ms
     * for 5 to 8 vectors there.
     */
    static final boolean INTEGER_DECODE = F_LANES <= 8;
    /** Int vectors per block of 32 values in {@link #integerDot3}: 1 with 8 lanes, 2 with 4. */
    private static final int PARTS = BLOCK / 4 / F_LANES;
    /** The four arrays of {@link #crossPairs} per block of activations: 8 words each. */
    private static final int CROSS_BLOCK = 32;

    /**
     * Whether the blocks are copied apart (see the class comment): where the integer decode kernel
     * runs. One vector times 262144 x 2048 on two cores, both layouts alternating in one JVM
     * (medians of 9 rounds, AMD EPYC Zen 3, AVX2, 2026-12-06): 33.5 -> 29.7 ms, 25.2 -> 30.0 (a
     * round of the machine's noise), 22.8 -> 20.8; 32768 x 8192 11.2 -> 10.4 ms; in cache on one
     * core, 8192 x 2048 1.31 -> 1.22 ms and 2048 x 8192 1.28 -> 1.20; identical products. The
     * Llama-3.2-1B Q8_0 decode step ({@code bin/engine-ab}, eight comparisons): 0.85-0.91x the
     * time. Each row's scales after its values instead made the step 1.13x slower, groups of 16
     * blocks with their scales first 1.50x (offsets no longer linear in the block index). Not
     * measured with 16 lanes, where the float kernel streams the file's layout at memory speed.
     */
    static final boolean SPLIT = INTEGER_DECODE;
    /** Bytes from one block's values (or scale) to the next block's, in this JVM's layout. */
    private static final int VALUES_STEP = SPLIT ? BLOCK : BLOCK_BYTES;
    private static final int SCALE_STEP = SPLIT ? Short.BYTES : BLOCK_BYTES;

    /** The copy the kernels read where {@link #SPLIT}, else null (held so that it lives as long as the matrix). */
    private final MemorySegment split;
    /** Where row 0's first value and first scale are in {@link #MEMORY}, and the bytes from one row's to the next's. */
    private final long values, scalesAt, valuesRow, scalesRow;

    /** Per thread: {@link #crossPairs} of the vectors of one call, and the lanes of {@link #integerDot3}'s sums. */
    private static final ThreadLocal<Scratch> CROSS = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        int[] cross = new int[0];
        final float[] lanes = new float[3 * F_LANES];
    }

    Q8_0Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q8_0, data, rows, cols);
        if (SPLIT) {
            int blocks = cols / BLOCK;
            split = Arena.ofAuto().allocate(rowBytes * rows, 64);
            long scalesFrom = (long) rows * cols;
            // Rows in groups, each read and written in bulk, the blocks taken apart in arrays.
            int group = 64;
            IntStream.range(0, (rows + group - 1) / group).parallel().forEach(g -> {
                byte[] in = new byte[(int) rowBytes];
                byte[] q = new byte[cols];
                byte[] d = new byte[2 * blocks];
                for (int r = g * group; r < Math.min(rows, (g + 1) * group); r++) {
                    MemorySegment.copy(this.data, ValueLayout.JAVA_BYTE, r * rowBytes, in, 0, in.length);
                    for (int b = 0; b < blocks; b++) {
                        d[2 * b] = in[b * BLOCK_BYTES];
                        d[2 * b + 1] = in[b * BLOCK_BYTES + 1];
                        System.arraycopy(in, b * BLOCK_BYTES + 2, q, b * BLOCK, BLOCK);
                    }
                    MemorySegment.copy(q, 0, split, ValueLayout.JAVA_BYTE, (long) r * cols, cols);
                    MemorySegment.copy(d, 0, split, ValueLayout.JAVA_BYTE, scalesFrom + (long) r * d.length, d.length);
                }
            });
            if (this.data.isMapped()) {
                this.data.unload();
            }
            values = split.address();
            scalesAt = values + scalesFrom;
            valuesRow = cols;
            scalesRow = 2L * blocks;
        } else {
            split = null;
            values = address + 2;
            scalesAt = address;
            valuesRow = rowBytes;
            scalesRow = rowBytes;
        }
    }

    /**
     * The per-row {@link #dot} of Q8_0 is cheap (bytes widened to floats, no unpacking): whole
     * Llama-3.2-1B Q8_0 prefills (2 threads, both paths alternating in one JVM, medians of 7, AMD
     * EPYC, 2026-12-05) took 151 / 219 / 335 ms for 4 / 8 / 12 tokens that way against 232 / 239 /
     * 212 with packed activations.
     */
    @Override
    public int batchFrom() {
        return batchFromLanes(10);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = values + row * valuesRow;
        long scale = scalesAt + row * scalesRow;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += VALUES_STEP, scale += SCALE_STEP) {
            // Sum q * x over the block in registers, then scale once by d.
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, MEMORY, block + j, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wQ = (FloatVector) q.convertShape(B2F, F, p);
                    sum = wQ.fma(FloatVector.fromArray(F, x, xOffset + i + j + p * F_LANES), sum);
                }
            }
            acc = sum.fma(FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, SPLIT ? scale : block - 2))), acc);
        }
        Reference.reachabilityFence(this);
        return acc.reduceLanes(ADD);
    }

    @Override
    void dot4(int row, int stride, float[] x, int xOffset, float[] out, int outOffset) {
        long step = stride * valuesRow;
        long b0 = values + row * valuesRow, b1 = b0 + step, b2 = b1 + step, b3 = b2 + step;
        // In the file's layout a block's scale sits 2 bytes before its values (the d's below then go
        // unused): the same loop as before the copy existed, on the machines that read that layout.
        // The copy's scale offsets come from i rather than from four more induction variables: C2
        // kept those (dead in the file's layout) in the loop, 12 of its 142 instructions a block,
        // moved through vector registers. Without them (AMD EPYC Zen 5, AVX-512, 2026-12-07,
        // MatMulBenchmarkMain, the two builds in alternating JVMs, four pairs): one vector times
        // 8192 x 2048 on one core 0.647-0.697 against 0.703-0.948 ms, times 32768 x 4096 on two
        // cores 2.76-3.10 against 3.08-3.28 ms.
        long scaleStep = stride * scalesRow;
        long d0 = scalesAt + row * scalesRow, d1 = d0 + scaleStep, d2 = d1 + scaleStep, d3 = d2 + scaleStep;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < cols; i += BLOCK, b0 += VALUES_STEP, b1 += VALUES_STEP, b2 += VALUES_STEP, b3 += VALUES_STEP) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int j = 0; j < BLOCK; j += B_LANES) {
                ByteVector q0 = ByteVector.fromMemorySegment(B, MEMORY, b0 + j, LE);
                ByteVector q1 = ByteVector.fromMemorySegment(B, MEMORY, b1 + j, LE);
                ByteVector q2 = ByteVector.fromMemorySegment(B, MEMORY, b2 + j, LE);
                ByteVector q3 = ByteVector.fromMemorySegment(B, MEMORY, b3 + j, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector xv = FloatVector.fromArray(F, x, xOffset + i + j + p * F_LANES);
                    s0 = ((FloatVector) q0.convertShape(B2F, F, p)).fma(xv, s0);
                    s1 = ((FloatVector) q1.convertShape(B2F, F, p)).fma(xv, s1);
                    s2 = ((FloatVector) q2.convertShape(B2F, F, p)).fma(xv, s2);
                    s3 = ((FloatVector) q3.convertShape(B2F, F, p)).fma(xv, s3);
                }
            }
            long d = i >> 4;
            a0 = s0.fma(FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, SPLIT ? d0 + d : b0 - 2))), a0);
            a1 = s1.fma(FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, SPLIT ? d1 + d : b1 - 2))), a1);
            a2 = s2.fma(FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, SPLIT ? d2 + d : b2 - 2))), a2);
            a3 = s3.fma(FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, SPLIT ? d3 + d : b3 - 2))), a3);
        }
        out[outOffset + row] = a0.reduceLanes(ADD);
        out[outOffset + row + stride] = a1.reduceLanes(ADD);
        out[outOffset + row + 2 * stride] = a2.reduceLanes(ADD);
        out[outOffset + row + 3 * stride] = a3.reduceLanes(ADD);
        Reference.reachabilityFence(this);
    }

    @Override
    public boolean integerKernels(int n) {
        return INTEGER_DECODE && n < batchFrom();
    }

    /** Below {@link #batchFrom}, the products run on 8-bit activations where {@link #INTEGER_DECODE}. */
    @Override
    public void matMul(float[] x, int n, float[] out, int outStride, int r0, int r1) {
        if (!integerKernels(n)) {
            super.matMul(x, n, out, outStride, r0, r1);
            return;
        }
        checkMatMul(x, n, out, outStride, r0, r1);
        QuantizedActivations a = OWN_ACTIVATIONS.get();
        a.reset(n, cols, false);
        a.quantize(x);
        multiply(a, out, outStride, r0, r1);
    }

    @Override
    public void matMul(QuantizedActivations a, float[] out, int outStride, int r0, int r1) {
        // Any count by vector (MatMul hands it fewer than batchFrom), so that batchFrom is free to move.
        if (!INTEGER_DECODE || a.transposed || a.superBlocks) {
            throw new IllegalArgumentException("Q8_0 takes 8-bit activations by vector with one scale per 32 values, with at most "
                    + "8 float lanes (this JVM: " + F_LANES + "), not " + (a.transposed ? "in the batch layout" : "by vector")
                    + (a.superBlocks ? " with one scale per 256" : ""));
        }
        checkActivations(a.cols(), a.count(), out, outStride, r0, r1);
        multiply(a, out, outStride, r0, r1);
    }

    /**
     * The rows as three thirds read side by side (three streams per thread). Four, as the float
     * kernel reads them, made a kernel so large that C2 left its float part in the Vector API's
     * fallback in 3 of 12 of {@code CompiledKernelsTest}'s JVMs (and in a clean clone's CI run); two
     * were slower: one vector times 8192 x 2048 on one core (in cache) 1.48 against 1.72 ms, times
     * 262144 x 2048 on two cores (from memory) 31.4 against 33.0 ms, medians of 9 rounds with both
     * forms alternating in one JVM (AMD EPYC Zen 3, AVX2, 2026-12-06, sixteenth session).
     */
    private void multiply(QuantizedActivations a, float[] out, int outStride, int r0, int r1) {
        int n = a.count();
        Scratch scratch = CROSS.get();
        if (scratch.cross.length < n * cols) {
            scratch.cross = new int[n * cols];
        }
        int[] cross = scratch.cross;
        float[] lanes = scratch.lanes;
        for (int t = 0; t < n; t++) {
            crossPairs(a.pairs, t * (cols / 2), cross, t * cols);
        }
        int blocks = cols / BLOCK;
        int third = (r1 - r0) / 3;
        for (int r = r0; r < r0 + third; r++) {
            for (int t = 0; t < n; t++) {
                integerDot3(r, third, cross, t * cols, a.scales, t * blocks, lanes, out, t * outStride);
            }
        }
        // Rows left over (at most two), each as three times the same row: one kernel, a little work.
        for (int r = r0 + 3 * third; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                integerDot3(r, 0, cross, t * cols, a.scales, t * blocks, lanes, out, t * outStride);
            }
        }
        Reference.reachabilityFence(this);
    }

    /**
     * The activations of one vector rearranged for {@link #integerDot3}: per block of 32 values
     * and per word {@code j} of 4 (values {@code 4j .. 4j + 3}), {@code cross[at + 32 b + j]} is
     * {@code q[4j + 2] + 65536 q[4j]}, {@code [.. + 8 + j]} is {@code q[4j + 3] + 65536 q[4j + 1]},
     * and {@code [.. + 16 + j]}, {@code [.. + 24 + j]} the terms that remove the weights' bias
     * from their products: {@code 2^15 - 128 q[4j + 2] - 2^23 (q[4j] + q[4j + 2])} and the same for
     * values {@code 4j + 1, 4j + 3}. From the pairs {@code q[2k + 1] + 65536 q[2k]} of
     * {@link QuantizedActivations} (by vector, {@code pairs[at ..]}).
     */
    private void crossPairs(int[] pairs, int at, int[] cross, int to) {
        for (int b = 0; b < cols / BLOCK; b++, to += CROSS_BLOCK) {
            for (int j = 0; j < 8; j++) {
                int p0 = pairs[at + 16 * b + 2 * j];
                int p1 = pairs[at + 16 * b + 2 * j + 1];
                int q0 = (p0 + 0x8000) >> 16;
                int q1 = (short) p0;
                int q2 = (p1 + 0x8000) >> 16;
                int q3 = (short) p1;
                cross[to + j] = q2 + (q0 << 16);
                cross[to + 8 + j] = q3 + (q1 << 16);
                cross[to + 16 + j] = InterleavedMatrix.ROUND - 128 * q2 - ((q0 + q2) << 23);
                cross[to + 24 + j] = InterleavedMatrix.ROUND - 128 * q3 - ((q1 + q3) << 23);
            }
        }
    }

    /**
     * Rows {@code row}, {@code row + stride} and {@code row + 2 stride} times one vector of 8-bit
     * activations ({@link #crossPairs} at {@code cross[xc ..]}, block scales at {@code scales[xs ..]})
     * into {@code out[outOffset + row + i stride]} ({@code lanes}: scratch for 3 float vectors):
     * each int lane holds four values of a row (bytes {@code 4j .. 4j + 3} of a block), so a block
     * is one int vector with 8 lanes. With the sign bit of every byte flipped, the lane masked with
     * {@code 0x00FF00FF} is {@code w[4j] + 128 + 65536 (w[4j + 2] + 128)},
     * and shifted right by 8 first the same for values {@code 4j + 1, 4j + 3}; times the crossed
     * activations, the high half of the product is the two-term dot product plus a bias that the
     * crossed term removes, exactly: with it, the low half holds {@link InterleavedMatrix#ROUND} plus
     * one product {@code w q} and the high half two, each at most {@code 128 * 127}, so neither
     * leaves {@code +-2^15} (see {@link InterleavedMatrix}). Two multiplies give four products per
     * lane, where the float kernel converts and multiplies one.
     */
    private void integerDot3(int row, int stride, int[] cross, int xc, float[] scales, int xs, float[] lanes, float[] out, int outOffset) {
        long b0 = values + row * valuesRow, b1 = b0 + stride * valuesRow, b2 = b1 + stride * valuesRow;
        long r0 = scalesAt + row * scalesRow, r1 = r0 + stride * scalesRow, r2 = r1 + stride * scalesRow;
        IntVector flip = IntVector.broadcast(I, 0x80808080);
        IntVector low = IntVector.broadcast(I, 0x00FF00FF);
        IntVector eight = IntVector.broadcast(I, 8);
        IntVector sixteen = IntVector.broadcast(I, 16);
        IntVector zero = IntVector.zero(I);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0;
        // Offsets as the loop's index times a constant plus an invariant: the form whose bounds checks
        // C2 can move out of a loop (it compiled them out of this one in a JVM that had run no batch
        // product, and left a check of about ten instructions in every load in one that had run a
        // model's prefills first; see docs/performance.md).
        for (int b = 0, blocks = cols / BLOCK; b < blocks; b++) {
            // The block's first part starts the sums rather than being added to zero vectors: C2 kept
            // those three additions of zero, and the zero vector held a register, for which it
            // reloaded the sign mask from memory three times a block. The loop went from 83 to 77
            // instructions; one vector times 1024 x 2048 on one core 0.154 -> 0.142 ms, 2048 x 8192
            // 1.379 -> 1.202 ms, times 65536 x 2048 on two cores 7.08 -> 6.69 ms (both forms
            // alternating in one JVM, medians of 9-15 rounds, AMD EPYC Zen 3, AVX2, 2026-12-07).
            IntVector t0 = zero, t1 = zero, t2 = zero;
            for (int h = 0; h < PARTS; h++) {
                int c = xc + b * CROSS_BLOCK + h * F_LANES;
                IntVector xl = IntVector.fromArray(I, cross, c);
                IntVector xh = IntVector.fromArray(I, cross, c + 8);
                IntVector cl = IntVector.fromArray(I, cross, c + 16);
                IntVector ch = IntVector.fromArray(I, cross, c + 24);
                long o = (long) b * VALUES_STEP + 4L * F_LANES * h;
                IntVector u = IntVector.fromMemorySegment(I, MEMORY, b0 + o, LE).lanewise(XOR, flip);
                IntVector p = u.lanewise(AND, low).mul(xl).add(cl).lanewise(ASHR, sixteen);
                t0 = (h == 0 ? p : p.add(t0)).add(u.lanewise(LSHR, eight).lanewise(AND, low).mul(xh).add(ch).lanewise(ASHR, sixteen));
                u = IntVector.fromMemorySegment(I, MEMORY, b1 + o, LE).lanewise(XOR, flip);
                p = u.lanewise(AND, low).mul(xl).add(cl).lanewise(ASHR, sixteen);
                t1 = (h == 0 ? p : p.add(t1)).add(u.lanewise(LSHR, eight).lanewise(AND, low).mul(xh).add(ch).lanewise(ASHR, sixteen));
                u = IntVector.fromMemorySegment(I, MEMORY, b2 + o, LE).lanewise(XOR, flip);
                p = u.lanewise(AND, low).mul(xl).add(cl).lanewise(ASHR, sixteen);
                t2 = (h == 0 ? p : p.add(t2)).add(u.lanewise(LSHR, eight).lanewise(AND, low).mul(xh).add(ch).lanewise(ASHR, sixteen));
            }
            float s = scales[xs + b];
            long d = (long) b * SCALE_STEP;
            a0 = ((FloatVector) t0.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, r0 + d)) * s), a0);
            a1 = ((FloatVector) t1.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, r1 + d)) * s), a1);
            a2 = ((FloatVector) t2.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, r2 + d)) * s), a2);
        }
        // Lanes summed in a fixed order, not by reduceLanes, whose order the JIT may change: the
        // integer kernels' products do not depend on how a product is split or compiled.
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, F_LANES);
        a2.intoArray(lanes, 2 * F_LANES);
        for (int i = 0; i < 3; i++) {
            float sum = 0;
            for (int l = 0; l < F_LANES; l++) {
                sum += lanes[i * F_LANES + l];
            }
            out[outOffset + row + i * stride] = sum;
        }
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        if (SPLIT) {
            // The batch kernel's panels are filled here. One induction variable, the scale's offset
            // derived from i (i / BLOCK scales of 2 bytes): with a second one for the scales, 128
            // vectors times 16384 x 2048 took 4% longer than from the file's layout, this way as
            // long (one JVM, alternating). In a model's prefill the copy's fill is compiled on its
            // own and called per row, where the file's was inlined into the panel loop, and takes
            // 10-13% of a 256-token prefill's samples against about 7% (JFR; also through the
            // copy's own segment, or with the scales widened first; docs/performance.md, seventeenth
            // session); whole prefills measured within a few percent in one JVM, the two builds in
            // turn (bin/engine-ab, old, copy, old, copy: 128-token medians 2708, 2524, 2159 and 2478
            // ms). Read through MEMORY, as StructureTest asks of every Q8_0 load.
            long v = values + row * valuesRow + col;
            long sc = scalesAt + row * scalesRow + (long) (col / BLOCK) * Short.BYTES;
            for (int i = 0; i < len; i += BLOCK) {
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, sc + (i >> 4))));
                for (int j = 0; j < BLOCK; j += B_LANES) {
                    ByteVector q = ByteVector.fromMemorySegment(B, MEMORY, v + i + j, LE);
                    for (int p = 0; p < BYTE_PARTS; p++) {
                        FloatVector wQ = (FloatVector) q.convertShape(B2F, F, p);
                        wQ.mul(d).intoArray(dst, dstOffset + i + j + p * F_LANES);
                    }
                }
            }
            Reference.reachabilityFence(this);
            return;
        }
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(MEMORY.get(SHORT_LE, address + block)));
            for (int j = 0; j < BLOCK; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, MEMORY, address + block + 2 + j, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wQ = (FloatVector) q.convertShape(B2F, F, p);
                    wQ.mul(d).intoArray(dst, dstOffset + i + j + p * F_LANES);
                }
            }
        }
    }
}
