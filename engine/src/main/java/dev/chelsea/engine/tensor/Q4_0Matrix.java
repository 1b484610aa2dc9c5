package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.B;
import static dev.chelsea.engine.tensor.Simd.BYTE_PARTS;
import static dev.chelsea.engine.tensor.Simd.B_LANES;
import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.H;
import static dev.chelsea.engine.tensor.Simd.I;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.SUB;

/**
 * Q4_0: blocks of 32 values, {@code block_q4_0 { fp16 d; uint8 qs[16]; }}. Byte {@code j} holds value
 * {@code j} in its low nibble and value {@code j + 16} in its high nibble; value = d * (q - 8).
 */
final class Q4_0Matrix extends InterleavedMatrix {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 18;

    Q4_0Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_0, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, LE);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.lanewise(LSHR, 4).sub((byte) 8);
                int xo = xOffset + i + j;
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                    sum = wLo.fma(FloatVector.fromArray(F, x, xo + p * F_LANES), sum);
                    FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                    sum = wHi.fma(FloatVector.fromArray(F, x, xo + BLOCK / 2 + p * F_LANES), sum);
                }
            }
            acc = sum.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block))), acc);
        }
        return acc.reduceLanes(ADD);
    }

    /**
     * The {@code qs} of the {@link #G} rows as 4 words of nibbles ({@link #interleavePairWords}), then
     * their {@code d} ({@link #D}), in the order the kernels read them: with {@code d} first, read
     * after the block's words, one vector times a 65536 x 2048 matrix from memory on two cores took
     * 1.05-1.07x as long (1.51 against 1.44 ms, 2.18 against 2.07 in two runs, both layouts in one
     * JVM, rounds in turn; AMD EPYC Zen 5, 2026-12-07; whole decode steps 1.01-1.05x). The same in
     * Q5_K cost 2.0-2.5x ({@code Q5_KMatrix.interleaveBlock}).
     */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        interleavePairWords(src, rowStride, at, 2, 16, dst, 0);
        interleaveField(src, rowStride, at, 0, 2, 2, dst, D);
    }

    /** Where {@code d} starts in an interleaved block: after its four words. */
    private static final int D = 16 * G;

    @Override
    int dField() {
        return D;
    }

    /**
     * Word {@code i} of a block gives pairs {@code 2i}, {@code 8 + 2i}, {@code 2i + 1} and
     * {@code 9 + 2i} of every row (values {@code 4i, 4i + 1}, {@code 16 + 4i, 17 + 4i}, and so on;
     * see {@link #interleavePairWords}). The weights are not centred: their unsigned nibbles
     * multiply the activations, and {@code 8} times the block's activation sum
     * ({@link QuantizedActivations#blockSums}) is subtracted before the sum is read. The high half
     * then holds {@code sum (q - 8) x}, within range, since all arithmetic is modulo 2^32; the low
     * half sums 16 products of at most {@code 15 * 127}, below 2^15.
     */
    @Override
    void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        float dUnit = this.dUnit;
        int touched = 0;
        for (int g = r0 / G; g * G < r1; g++) {
            for (int t = 0; t < a.count; t++) {
                long o = g * groupBytes;
                int[] xp = a.pairs;
                int xk = t * (cols / 2);
                int xb = t * (cols / BLOCK);
                FloatVector acc = FloatVector.zero(F);
                IntVector round = IntVector.broadcast(I, ROUND);
                IntVector s = round;
                // One loop over all words of the row, with the block's end as a branch: a nested loop
                // per block costs C2's loop set-up every 4 steps. Offsets advance by additions: computed
                // from k by masks and shifts they took about twenty scalar instructions a step, as many
                // as the vector work (a 16384 x 2048 matrix on two cores of an AMD EPYC: 35 -> 46 GB/s,
                // medians of alternating runs, 2026-12-05). Two words a step, so a block is two steps:
                // with one, the loop's own work (counter, checks, read-ahead, spilled registers) was
                // as large as the products on AVX2; with two, one core with an 8192 x 2048 matrix in
                // cache took 0.70 against 0.84 ms (AMD EPYC Zen 3, both forms alternating in one JVM,
                // medians of 9 rounds, 2026-12-06). The block headers are no longer read ahead: that
                // second touch, in the branch, was a call C2 did not inline once the loop was larger.
                long q = o;
                int x = xk;
                for (int k = 0, steps = cols / 16; k < steps; k++, q += 8 * G, x += 4) {
                    if (READ_AHEAD) {
                        touched += ahead(q);
                    }
                    IntVector v = IntVector.fromMemorySegment(I, packed, q, LE);
                    IntVector w = IntVector.fromMemorySegment(I, packed, q + 4 * G, LE);
                    s = v.and(0x000F000F).mul(xp[x]).add(s);
                    s = v.lanewise(LSHR, 4).and(0x000F000F).mul(xp[x + 8]).add(s);
                    s = v.lanewise(LSHR, 8).and(0x000F000F).mul(xp[x + 1]).add(s);
                    s = v.lanewise(LSHR, 12).and(0x000F000F).mul(xp[x + 9]).add(s);
                    s = w.and(0x000F000F).mul(xp[x + 2]).add(s);
                    s = w.lanewise(LSHR, 4).and(0x000F000F).mul(xp[x + 10]).add(s);
                    s = w.lanewise(LSHR, 8).and(0x000F000F).mul(xp[x + 3]).add(s);
                    s = w.lanewise(LSHR, 12).and(0x000F000F).mul(xp[x + 11]).add(s);
                    if ((k & 1) == 1) {
                        IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, q + 8 * G, LE).convertShape(S2I, I, 0);
                        FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(dUnit);
                        int b = xb + (k >> 1);
                        acc = ((FloatVector) s.lanewise(SUB, IntVector.broadcast(I, a.blockSums[b] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(a.scales[b]), acc);
                        s = round;
                        q += 2 * G;
                        x += 8;
                    }
                }
                int row = g * G;
                int at = outOffset + t * outStride + row;
                if (row >= r0 && row + G <= r1) {
                    acc.intoArray(out, at);
                } else {
                    acc.intoArray(out, at, F.indexInRange(row, r1).andNot(F.indexInRange(row, r0)));
                }
            }
        }
        touchedAhead = touched;
    }

    /**
     * Whether prompts of {@link #batchFrom} to {@code 2 G - 4} tokens but {@code G} (6 to 28 but 16
     * with AVX-512) take {@link #tileGemv}: the batch layout of {@link QuantizedActivations} (one tile of
     * 16 or 32 lanes) multiplied with the rows in the lanes, eight vectors at a time. Before it they ran {@link #gemv} once per vector, decoding
     * every weight word again for each, and 16 took the panel kernel. One core, 2048 x 2048, the
     * product's time against the build before (alternating class loaders in one JVM, medians of
     * 11 rounds, AMD EPYC Zen 5, 2026-12-07): 3 vectors 0.97, 4 0.71, 8 0.69-0.71, 12 0.68;
     * 65536 x 2048 from memory, 8 vectors 0.78; 2 vectors 1.55. From 6: an eight-vector pass costs
     * about what five vectors by vector do, and whole 5-token prefills took 1.13x the time with it
     * ({@code bin/engine-ab --order p --rounds 60 --prompt 5}), 8-token ones 0.82x and 12-token
     * ones 0.77x (medians of 60 rounds against the build before). At 16 it measured
     * 0.86-1.10 against the panel's eight rows a call ({@code QuantizedPanelMatMul.kernel1x8}), which
     * keeps that count. In a tile of 32 lanes (17 to 32 vectors), against the panel's two-vector
     * tiles ({@code kernel2}): 20 vectors 0.71, 24 0.66-0.83 in five JVMs, 32 0.90-1.12 in four (one
     * core, 2048 x 2048; {@code kernel2} itself ran 1.31-2.09 ms for 32 vectors, JVM by JVM), 24 on
     * two cores, 8192 x 2048, 0.70; whole 20- and 28-token prefills 0.65 and 0.83x the time
     * ({@code bin/engine-ab --order p --rounds 40}). Up to 28: a pass costs about the same
     * whatever the count, the panel the same for 17 to 32. Needs AVX-512's 32 registers (16 accumulators) and the int32 pair products,
     * whose batch layout holds the pairs as {@link #gemv} multiplies them. Off with
     * {@code -Dchelsea.q4_0.tile-gemv=false} (for comparisons).
     */
    static final boolean TILE_GEMV = G >= 16 && !PairProducts.SHORTS
            && Boolean.parseBoolean(System.getProperty("chelsea.q4_0.tile-gemv", "true"));

    @Override
    boolean multiplyOneTile(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        // Batches of one tile of 16 or 32 lanes (the caller's test) but 16 vectors and 29 to 32,
        // where four passes cost what the panel does. Without short-circuit operators, so that no
        // branch is left that a warm-up may not have taken.
        if (!TILE_GEMV | a.count == G | a.count > 2 * G - 4) {
            return false;
        }
        for (int g = r0 / G; g * G < r1; g++) {
            for (int t0 = 0; t0 < a.count; t0 += 8) {
                tileGemv(a, g, t0, out, outOffset, outStride, r0, r1);
            }
        }
        return true;
    }

    /**
     * Group {@code g} times vectors {@code [t0, t0 + 8)} of a one-tile batch (four where no more are
     * left), as {@link #gemv} multiplies one vector: the rows in the lanes, unsigned nibbles, each
     * accumulator offset by the centre times the block's activation sum
     * ({@link QuantizedActivations#blockSums}) when it is read. Each decoded pair of 16 rows serves
     * eight vectors' accumulators from registers, and their broadcast activation pairs lie side by
     * side in the batch layout ({@code pairs[k G + t]}), so the offsets differ by constants and C2
     * checks a word's 32 loads at once. The same integer sums, scalings and order of float additions
     * as {@link #gemv}: each vector's products equal, to the bit, those of the vector alone.
     */
    private void tileGemv(QuantizedActivations a, int g, int t0, float[] out, int outOffset, int outStride, int r0, int r1) {
        final int bw = a.width;
        int[] xp = a.pairs;
        float[] xs = a.scales;
        float dUnit = this.dUnit;
        int[] xb = a.blockSums;
        // Four vectors where no more are left: the test is the same at every step, and C2 compiles
        // the loop once for each outcome (loop unswitching), provided its profile saw both: the
        // warm-up's 9-token prompt takes both (WarmUp.promptLengths).
        boolean eight = a.count - t0 > 4;
        IntVector zero = IntVector.zero(I);
        IntVector s0 = zero, s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero, s6 = zero, s7 = zero;
        FloatVector f0 = FloatVector.zero(F), f1 = f0, f2 = f0, f3 = f0, f4 = f0, f5 = f0, f6 = f0, f7 = f0;
        long q = g * groupBytes;
        int x = t0;
        int xd = t0;
        // Word i of a block holds pairs 2i, 2i + 1, 2i + 8 and 2i + 9 (as fillNibbleWord decodes them).
        for (int k = 0, words = cols / 8; k < words; k++, q += 4 * G, x += 2 * bw) {
            IntVector v = IntVector.fromMemorySegment(I, packed, q, LE);
            IntVector e = v.and(0x000F000F);
            s0 = e.mul(xp[x]).add(s0);
            s1 = e.mul(xp[x + 1]).add(s1);
            s2 = e.mul(xp[x + 2]).add(s2);
            s3 = e.mul(xp[x + 3]).add(s3);
            if (eight) {
                s4 = e.mul(xp[x + 4]).add(s4);
                s5 = e.mul(xp[x + 5]).add(s5);
                s6 = e.mul(xp[x + 6]).add(s6);
                s7 = e.mul(xp[x + 7]).add(s7);
            }
            e = v.lanewise(LSHR, 8).and(0x000F000F);
            s0 = e.mul(xp[x + bw]).add(s0);
            s1 = e.mul(xp[x + bw + 1]).add(s1);
            s2 = e.mul(xp[x + bw + 2]).add(s2);
            s3 = e.mul(xp[x + bw + 3]).add(s3);
            if (eight) {
                s4 = e.mul(xp[x + bw + 4]).add(s4);
                s5 = e.mul(xp[x + bw + 5]).add(s5);
                s6 = e.mul(xp[x + bw + 6]).add(s6);
                s7 = e.mul(xp[x + bw + 7]).add(s7);
            }
            e = v.lanewise(LSHR, 4).and(0x000F000F);
            s0 = e.mul(xp[x + 8 * bw]).add(s0);
            s1 = e.mul(xp[x + 8 * bw + 1]).add(s1);
            s2 = e.mul(xp[x + 8 * bw + 2]).add(s2);
            s3 = e.mul(xp[x + 8 * bw + 3]).add(s3);
            if (eight) {
                s4 = e.mul(xp[x + 8 * bw + 4]).add(s4);
                s5 = e.mul(xp[x + 8 * bw + 5]).add(s5);
                s6 = e.mul(xp[x + 8 * bw + 6]).add(s6);
                s7 = e.mul(xp[x + 8 * bw + 7]).add(s7);
            }
            e = v.lanewise(LSHR, 12).and(0x000F000F);
            s0 = e.mul(xp[x + 9 * bw]).add(s0);
            s1 = e.mul(xp[x + 9 * bw + 1]).add(s1);
            s2 = e.mul(xp[x + 9 * bw + 2]).add(s2);
            s3 = e.mul(xp[x + 9 * bw + 3]).add(s3);
            if (eight) {
                s4 = e.mul(xp[x + 9 * bw + 4]).add(s4);
                s5 = e.mul(xp[x + 9 * bw + 5]).add(s5);
                s6 = e.mul(xp[x + 9 * bw + 6]).add(s6);
                s7 = e.mul(xp[x + 9 * bw + 7]).add(s7);
            }
            if ((k & 3) == 3) {
                IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, q + 4 * G, LE).convertShape(S2I, I, 0);
                FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(dUnit);
                f0 = ((FloatVector) s0.add(ROUND - (xb[xd] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(xs[xd]), f0);
                f1 = ((FloatVector) s1.add(ROUND - (xb[xd + 1] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(xs[xd + 1]), f1);
                f2 = ((FloatVector) s2.add(ROUND - (xb[xd + 2] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(xs[xd + 2]), f2);
                f3 = ((FloatVector) s3.add(ROUND - (xb[xd + 3] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(xs[xd + 3]), f3);
                if (eight) {
                    f4 = ((FloatVector) s4.add(ROUND - (xb[xd + 4] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(xs[xd + 4]), f4);
                    f5 = ((FloatVector) s5.add(ROUND - (xb[xd + 5] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(xs[xd + 5]), f5);
                    f6 = ((FloatVector) s6.add(ROUND - (xb[xd + 6] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(xs[xd + 6]), f6);
                    f7 = ((FloatVector) s7.add(ROUND - (xb[xd + 7] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(xs[xd + 7]), f7);
                }
                s0 = zero;
                s1 = zero;
                s2 = zero;
                s3 = zero;
                s4 = zero;
                s5 = zero;
                s6 = zero;
                s7 = zero;
                xd += bw;
                x += 8 * bw;
                q += 2 * G;
            }
        }
        int row = g * G;
        int at = outOffset + t0 * outStride + row;
        VectorMask<Float> rows = F.indexInRange(row, r1).andNot(F.indexInRange(row, r0));
        int n = a.count - t0;
        f0.intoArray(out, at, rows);
        if (n > 1) {
            f1.intoArray(out, at + outStride, rows);
        }
        if (n > 2) {
            f2.intoArray(out, at + 2 * outStride, rows);
        }
        if (n > 3) {
            f3.intoArray(out, at + 3 * outStride, rows);
        }
        if (n > 4) {
            f4.intoArray(out, at + 4 * outStride, rows);
        }
        if (n > 5) {
            f5.intoArray(out, at + 5 * outStride, rows);
        }
        if (n > 6) {
            f6.intoArray(out, at + 6 * outStride, rows);
        }
        if (n > 7) {
            f7.intoArray(out, at + 7 * outStride, rows);
        }
    }

    @Override
    void fillPanel(int group, int pair0, int pairs, int[] w, float[] scale, float[] offset) {
        long o = group * groupBytes + (pair0 / 16) * groupBlockBytes;
        for (int blk = 0; blk < pairs / 16; blk++, o += groupBlockBytes) {
            for (int i = 0; i < 4; i++) {
                fillNibbleWord(o + 4 * G * i, w, blk * 16 + 2 * i, 8);
            }
            fillHalves(o + D, dUnit, scale, blk * G);
        }
    }

    @Override
    public int batchFrom() {
        return TILE_GEMV ? 6 : batchFromLanes(16);
    }

    @Override
    int unitPairs() {
        return 16;
    }

    @Override
    boolean hasOffsets() {
        return false;
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block)));
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, LE);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.lanewise(LSHR, 4).sub((byte) 8);
                int o = dstOffset + i + j;
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                    wLo.mul(d).intoArray(dst, o + p * F_LANES);
                    FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                    wHi.mul(d).intoArray(dst, o + BLOCK / 2 + p * F_LANES);
                }
            }
        }
    }
}
