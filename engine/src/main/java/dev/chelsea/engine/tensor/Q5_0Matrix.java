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
import static dev.chelsea.engine.tensor.Simd.INT_LE;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.AND;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.OR;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * Q5_0: blocks of 32 values, {@code block_q5_0 { fp16 d; uint8 qh[4]; uint8 qs[16]; }}. The low four
 * bits are nibbles as in Q4_0; bit {@code i} of the little-endian uint32 {@code qh} is the fifth bit
 * of value {@code i}; value = d * (q - 16). The fifth bits become a lane mask directly.
 */
final class Q5_0Matrix extends InterleavedMatrix {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 22;
    private static final long LANE_BITS = (1L << B_LANES) - 1;

    Q5_0Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_0, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            long qh = data.get(INT_LE, block + 2) & 0xFFFFFFFFL;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 6 + j, LE);
                VectorMask<Byte> loHigh = VectorMask.fromLong(B, (qh >>> j) & LANE_BITS);
                VectorMask<Byte> hiHigh = VectorMask.fromLong(B, (qh >>> (j + BLOCK / 2)) & LANE_BITS);
                ByteVector lo = q.and((byte) 0x0F).lanewise(OR, (byte) 0x10, loHigh).sub((byte) 16);
                ByteVector hi = q.lanewise(LSHR, 4).lanewise(OR, (byte) 0x10, hiHigh).sub((byte) 16);
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
     * {@code d}, then the block's 32 five-bit values as five words ({@link #fiveBitWord}) of the
     * {@link #G} rows. Before 2026-12-06 the nibbles were kept as in {@code Q4_0Matrix} with the
     * fifth bits in a reordered word, a shift, a mask and a merge more per pair: one vector times a
     * 512 x 2048 matrix on one core in L2 read 19.3 GB/s (56 GFLOP/s) that way.
     */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        int to = interleaveField(src, rowStride, at, 0, 2, 2, dst, 0);
        int[] q = new int[BLOCK];
        for (int r = 0; r < G; r++) {
            int b = at + r * rowStride;
            int qh = (int) INTS.get(src, b + 2);
            for (int j = 0; j < BLOCK / 2; j++) {
                int qs = src[b + 6 + j] & 0xFF;
                q[j] = (qs & 0x0F) | ((qh >>> j) & 1) << 4;
                q[j + 16] = qs >> 4 | ((qh >>> (j + 16)) & 1) << 4;
            }
            for (int m = 0; m < FIVE_BIT_WORDS; m++) {
                INTS.set(dst, to + (m * G + r) * 4, fiveBitWord(q, 0, m));
            }
        }
    }

    /**
     * One vector times rows: each block's five words give its 16 pairs ({@link #fiveBitWord}),
     * multiplied by the activation pairs as in {@code Q5_KMatrix.gemv}. With 5-bit weights an
     * accumulator holds 8 pairs: pairs 0-7 and 8-15 get one each, starting at minus 16 times their
     * activations' sum (two {@link QuantizedActivations#octetSums}), so that the high halves end as
     * {@code sum (q - 16) x} (the low halves: 8 products of at most {@code 31 * 127}). The block's
     * words are read written out exactly as a Q5_K sub-block's in {@code Q5_KMatrix.gemv}: a shared
     * method would return vectors, which {@link Simd} rules out.
     */
    @Override
    void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        float dUnit = this.dUnit;
        IntVector five = IntVector.broadcast(I, 0x001F001F);
        IntVector top = IntVector.broadcast(I, 0x80008000);
        IntVector halfBits = IntVector.broadcast(I, 0x8FFFE000);
        IntVector sixteen = IntVector.broadcast(I, 16);
        for (int g = r0 / G; g * G < r1; g++) {
            for (int t = 0; t < a.count; t++) {
                long o = g * groupBytes;
                int[] xp = a.pairs;
                int[] sums = a.octetSums;
                int xb = t * (cols / BLOCK);
                FloatVector acc = FloatVector.zero(F);
                int x = t * (cols / 2);
                for (int b = xb, end = xb + cols / BLOCK; b < end; b++, o += groupBlockBytes, x = unhoisted(x + 16)) {
                    long q = o + 2 * G;
                    IntVector lo = IntVector.broadcast(I, ROUND - ((sums[4 * b] + sums[4 * b + 1]) << 20));
                    IntVector hi = IntVector.broadcast(I, ROUND - ((sums[4 * b + 2] + sums[4 * b + 3]) << 20));
                    IntVector v = IntVector.fromMemorySegment(I, packed, q, LE);
                    lo = v.lanewise(AND, five).mul(xp[x]).add(lo);
                    lo = v.lanewise(LSHR, 5).lanewise(AND, five).mul(xp[x + 1]).add(lo);
                    lo = v.lanewise(LSHR, 10).lanewise(AND, five).mul(xp[x + 2]).add(lo);
                    IntVector last = v.lanewise(AND, top);
                    v = IntVector.fromMemorySegment(I, packed, q + 4 * G, LE);
                    lo = v.lanewise(AND, five).mul(xp[x + 3]).add(lo);
                    lo = v.lanewise(LSHR, 5).lanewise(AND, five).mul(xp[x + 4]).add(lo);
                    lo = v.lanewise(LSHR, 10).lanewise(AND, five).mul(xp[x + 5]).add(lo);
                    last = last.lanewise(LSHR, 1).lanewise(OR, v.lanewise(AND, top));
                    v = IntVector.fromMemorySegment(I, packed, q + 8 * G, LE);
                    lo = v.lanewise(AND, five).mul(xp[x + 6]).add(lo);
                    lo = v.lanewise(LSHR, 5).lanewise(AND, five).mul(xp[x + 7]).add(lo);
                    hi = v.lanewise(LSHR, 10).lanewise(AND, five).mul(xp[x + 8]).add(hi);
                    last = last.lanewise(LSHR, 1).lanewise(OR, v.lanewise(AND, top));
                    v = IntVector.fromMemorySegment(I, packed, q + 12 * G, LE);
                    hi = v.lanewise(AND, five).mul(xp[x + 9]).add(hi);
                    hi = v.lanewise(LSHR, 5).lanewise(AND, five).mul(xp[x + 10]).add(hi);
                    hi = v.lanewise(LSHR, 10).lanewise(AND, five).mul(xp[x + 11]).add(hi);
                    last = last.lanewise(LSHR, 1).lanewise(OR, v.lanewise(AND, top));
                    v = IntVector.fromMemorySegment(I, packed, q + 16 * G, LE);
                    hi = v.lanewise(AND, five).mul(xp[x + 12]).add(hi);
                    hi = v.lanewise(LSHR, 5).lanewise(AND, five).mul(xp[x + 13]).add(hi);
                    hi = v.lanewise(LSHR, 10).lanewise(AND, five).mul(xp[x + 14]).add(hi);
                    last = last.lanewise(LSHR, 1).lanewise(OR, v.lanewise(AND, top));
                    hi = last.lanewise(LSHR, 11).lanewise(AND, five).mul(xp[x + 15]).add(hi);
                    IntVector sum = lo.lanewise(ASHR, sixteen).add(hi.lanewise(ASHR, sixteen));
                    IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
                    FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(dUnit);
                    acc = ((FloatVector) sum.convertShape(I2F, F, 0)).fma(d.mul(a.scales[b]), acc);
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
    }

    @Override
    void fillPanel(int group, int pair0, int pairs, int[] w, float[] scale, float[] offset) {
        long o = group * groupBytes + (pair0 / 16) * groupBlockBytes;
        for (int blk = 0; blk < pairs / 16; blk++, o += groupBlockBytes) {
            fillFiveBitWords(o + 2L * G, w, blk * 16);
            // One unit per block with 16-bit products, two with 32-bit ones: the second copies the first.
            int perBlock = 16 / unitPairs();
            fillHalves(o, dUnit, scale, blk * perBlock * G);
            for (int u = blk * perBlock + 1; u < (blk + 1) * perBlock; u++) {
                System.arraycopy(scale, blk * perBlock * G, scale, u * G, G);
            }
        }
    }

    @Override
    public int batchFrom() {
        return batchFromLanes(12);
    }

    @Override
    int unitPairs() {
        return PairProducts.BATCH.unitPairs(8);
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
            long qh = data.get(INT_LE, block + 2) & 0xFFFFFFFFL;
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 6 + j, LE);
                VectorMask<Byte> loHigh = VectorMask.fromLong(B, (qh >>> j) & LANE_BITS);
                VectorMask<Byte> hiHigh = VectorMask.fromLong(B, (qh >>> (j + BLOCK / 2)) & LANE_BITS);
                ByteVector lo = q.and((byte) 0x0F).lanewise(OR, (byte) 0x10, loHigh).sub((byte) 16);
                ByteVector hi = q.lanewise(LSHR, 4).lanewise(OR, (byte) 0x10, hiHigh).sub((byte) 16);
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
