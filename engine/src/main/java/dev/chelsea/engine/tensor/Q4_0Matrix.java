package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

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

    /** {@code d} of the {@link #G} rows, then their {@code qs} as 4 words of nibbles ({@link #interleavePairWords}). */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        int to = interleaveField(src, rowStride, at, 0, 2, 2, dst, 0);
        interleavePairWords(src, rowStride, at, 2, 16, dst, to);
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
                long q = o + 2 * G;
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
                        IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, q - 10 * G, LE).convertShape(S2I, I, 0);
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

    @Override
    void fillPanel(int group, int pair0, int pairs, int[] w, float[] scale, float[] offset) {
        long o = group * groupBytes + (pair0 / 16) * groupBlockBytes;
        for (int blk = 0; blk < pairs / 16; blk++, o += groupBlockBytes) {
            for (int i = 0; i < 4; i++) {
                fillNibbleWord(o + 2 * G + 4 * G * i, w, blk * 16 + 2 * i, 8);
            }
            fillHalves(o, dUnit, scale, blk * G);
        }
    }

    @Override
    public int batchFrom() {
        return batchFromLanes(16);
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
