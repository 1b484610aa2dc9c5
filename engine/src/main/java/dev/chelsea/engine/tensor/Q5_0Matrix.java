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
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.OR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.SUB;

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
     * {@code d}, then {@code qh} with its bits reordered, then {@code qs} as in {@code Q4_0Matrix}
     * (words, {@link #interleavePairWords}). Word {@code w} needs the fifth bits of values
     * {@code 4w} to {@code 4w + 3} and {@code 16 + 4w} to {@code 19 + 4w}; they are moved to bits
     * {@code w, 16 + w, 8 + w, 24 + w} and {@code 4 + w, 20 + w, 12 + w, 28 + w}, so that
     * {@code qh >>> w} has each pair's two bits 16 apart, one shift from bits 4 and 20.
     */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        int to = interleaveField(src, rowStride, at, 0, 2, 2, dst, 0);
        for (int r = 0; r < G; r++) {
            int qh = (int) INTS.get(src, at + r * rowStride + 2);
            int moved = 0;
            for (int w = 0; w < 4; w++) {
                moved |= ((qh >>> (4 * w)) & 1) << w | ((qh >>> (4 * w + 1)) & 1) << (16 + w)
                        | ((qh >>> (4 * w + 2)) & 1) << (8 + w) | ((qh >>> (4 * w + 3)) & 1) << (24 + w)
                        | ((qh >>> (16 + 4 * w)) & 1) << (4 + w) | ((qh >>> (17 + 4 * w)) & 1) << (20 + w)
                        | ((qh >>> (18 + 4 * w)) & 1) << (12 + w) | ((qh >>> (19 + 4 * w)) & 1) << (28 + w);
            }
            INTS.set(dst, to + 4 * r, moved);
        }
        interleavePairWords(src, rowStride, at, 6, 16, dst, to + 4 * G);
    }

    /**
     * As {@code Q4_0Matrix.gemv}, with the fifth bits. With 5-bit weights an accumulator holds 16
     * values: the low nibbles (values 0 to 15) and the high nibbles (16 to 31) get one each. The
     * unsigned weights are multiplied and 16 times each half's activation sum (two
     * {@link QuantizedActivations#octetSums}) subtracted before it is read, so the high half holds
     * {@code sum (q - 16) x} (the low half: 8 products of at most {@code 31 * 127}).
     */
    @Override
    void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        float dUnit = this.dUnit;
        for (int g = r0 / G; g * G < r1; g++) {
            for (int t = 0; t < a.count; t++) {
                long o = g * groupBytes;
                int[] xp = a.pairs;
                int[] sums = a.octetSums;
                int xk = t * (cols / 2);
                int xb = t * (cols / BLOCK);
                FloatVector acc = FloatVector.zero(F);
                IntVector round = IntVector.broadcast(I, ROUND);
                IntVector sLo = round;
                IntVector sHi = round;
                // As Q4_0Matrix.gemv: one loop, offsets advanced by additions.
                long q = o + 6 * G;
                int x = xk;
                for (int k = 0, steps = cols / 8; k < steps; k++, q += 4 * G, x += 2) {
                    int w = k & 3;
                    IntVector v = IntVector.fromMemorySegment(I, packed, q, LE);
                    IntVector h = IntVector.fromMemorySegment(I, packed, q - 4 * G * (w + 1), LE).lanewise(LSHR, w);
                    sLo = v.and(0x000F000F).or(h.lanewise(LSHL, 4).and(0x00100010)).mul(xp[x]).add(sLo);
                    sLo = v.lanewise(LSHR, 8).and(0x000F000F).or(h.lanewise(LSHR, 4).and(0x00100010)).mul(xp[x + 1]).add(sLo);
                    sHi = v.lanewise(LSHR, 4).and(0x000F000F).or(h.and(0x00100010)).mul(xp[x + 8]).add(sHi);
                    sHi = v.lanewise(LSHR, 12).and(0x000F000F).or(h.lanewise(LSHR, 8).and(0x00100010)).mul(xp[x + 9]).add(sHi);
                    if (w == 3) {
                        int b = xb + (k >> 2);
                        IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, q - 18 * G, LE).convertShape(S2I, I, 0);
                        FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(dUnit);
                        d = d.mul(a.scales[b]);
                        IntVector sum = sLo.lanewise(SUB, IntVector.broadcast(I, (sums[4 * b] + sums[4 * b + 1]) << 20)).lanewise(ASHR, 16)
                                .add(sHi.lanewise(SUB, IntVector.broadcast(I, (sums[4 * b + 2] + sums[4 * b + 3]) << 20)).lanewise(ASHR, 16));
                        acc = ((FloatVector) sum.convertShape(I2F, F, 0)).fma(d, acc);
                        sLo = round;
                        sHi = round;
                        q += 6 * G;
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
    }

    @Override
    void fillPanel(int group, int pair0, int pairs, int[] w, float[] scale, float[] offset) {
        long o = group * groupBytes + (pair0 / 16) * groupBlockBytes;
        for (int blk = 0; blk < pairs / 16; blk++, o += groupBlockBytes) {
            for (int i = 0; i < 4; i++) {
                IntVector v = IntVector.fromMemorySegment(I, packed, o + 6 * G + 4 * G * i, LE);
                IntVector h = IntVector.fromMemorySegment(I, packed, o + 2 * G, LE).lanewise(LSHR, i);
                int k = blk * 16 + 2 * i;
                v.and(0x000F000F).or(h.lanewise(LSHL, 4).and(0x00100010)).sub(0x00100010).intoArray(w, k * G);
                v.lanewise(LSHR, 8).and(0x000F000F).or(h.lanewise(LSHR, 4).and(0x00100010)).sub(0x00100010).intoArray(w, (k + 1) * G);
                v.lanewise(LSHR, 4).and(0x000F000F).or(h.and(0x00100010)).sub(0x00100010).intoArray(w, (k + 8) * G);
                v.lanewise(LSHR, 12).and(0x000F000F).or(h.lanewise(LSHR, 8).and(0x00100010)).sub(0x00100010).intoArray(w, (k + 9) * G);
            }
            for (int r = 0; r < G; r++) {
                float d = Float.float16ToFloat(packed.get(SHORT_LE, o + 2L * r)) * dScale;
                scale[2 * blk * G + r] = d;
                scale[(2 * blk + 1) * G + r] = d;
            }
        }
    }

    @Override
    public int batchFrom() {
        return batchFromLanes(12);
    }

    @Override
    int unitPairs() {
        return 8;
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
