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
 * Q4_1: blocks of 32 values, {@code block_q4_1 { fp16 d; fp16 m; uint8 qs[16]; }}, nibbles as in
 * Q4_0; value = d * q + m.
 */
final class Q4_1Matrix extends InterleavedMatrix {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 20;

    Q4_1Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_1, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block)));
            FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block + 2)));
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 4 + j, LE);
                ByteVector lo = q.and((byte) 0x0F);
                ByteVector hi = q.lanewise(LSHR, 4);
                int xo = xOffset + i + j;
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                    acc = wLo.fma(d, m).fma(FloatVector.fromArray(F, x, xo + p * F_LANES), acc);
                    FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                    acc = wHi.fma(d, m).fma(FloatVector.fromArray(F, x, xo + BLOCK / 2 + p * F_LANES), acc);
                }
            }
        }
        return acc.reduceLanes(ADD);
    }

    /** {@code d}, then {@code m} of the {@link #G} rows, then their {@code qs} as in {@code Q4_0Matrix}. */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        int to = interleaveField(src, rowStride, at, 0, 2, 2, dst, 0);
        to = interleaveField(src, rowStride, at, 2, 2, 2, dst, to);
        interleavePairWords(src, rowStride, at, 4, 16, dst, to);
    }

    /**
     * As {@code Q4_0Matrix.gemv} (words of nibbles, the sum read as {@code sum (q - 8) x}); the
     * rest of each value, {@code 8d + m}, multiplies the block's sum of activations.
     */
    @Override
    void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        float dUnit = this.dUnit;
        float minUnit = this.minUnit;
        for (int g = r0 / G; g * G < r1; g++) {
            for (int t = 0; t < a.count; t++) {
                long o = g * groupBytes;
                int[] xp = a.pairs;
                int xk = t * (cols / 2);
                int xb = t * (cols / BLOCK);
                FloatVector acc = FloatVector.zero(F);
                IntVector round = IntVector.broadcast(I, ROUND);
                IntVector s = round;
                // As Q4_0Matrix.gemv: one loop, offsets advanced by additions.
                long q = o + 4 * G;
                int x = xk;
                for (int k = 0, steps = cols / 8; k < steps; k++, q += 4 * G, x += 2) {
                    IntVector v = IntVector.fromMemorySegment(I, packed, q, LE);
                    s = v.and(0x000F000F).mul(xp[x]).add(s);
                    s = v.lanewise(LSHR, 4).and(0x000F000F).mul(xp[x + 8]).add(s);
                    s = v.lanewise(LSHR, 8).and(0x000F000F).mul(xp[x + 1]).add(s);
                    s = v.lanewise(LSHR, 12).and(0x000F000F).mul(xp[x + 9]).add(s);
                    if ((k & 3) == 3) {
                        int b = xb + (k >> 2);
                        long blockAt = q - 16 * G;
                        IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, blockAt, LE).convertShape(S2I, I, 0);
                        FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(dUnit);
                        IntVector mBits = (IntVector) ShortVector.fromMemorySegment(H, packed, blockAt + 2 * G, LE).convertShape(S2I, I, 0);
                        FloatVector m = ((FloatVector) mBits.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretShape(F, 0)).mul(minUnit);
                        float sum = a.sums[2 * b] + a.sums[2 * b + 1];
                        acc = ((FloatVector) s.lanewise(SUB, IntVector.broadcast(I, a.blockSums[b] << 19)).lanewise(ASHR, 16).convertShape(I2F, F, 0)).fma(d.mul(a.scales[b]), acc);
                        acc = d.mul(8f).add(m).fma(FloatVector.broadcast(F, sum), acc);
                        s = round;
                        q += 4 * G;
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
                fillNibbleWord(o + 4 * G + 4 * G * i, w, blk * 16 + 2 * i, 8);
            }
            fillHalves(o, dUnit, scale, blk * G);
            fillHalves(o + 2L * G, minUnit, offset, blk * G);
            for (int r = blk * G; r < (blk + 1) * G; r++) {
                offset[r] += 8 * scale[r];
            }
        }
    }

    @Override
    public int batchFrom() {
        return batchFromLanes(14);
    }

    @Override
    int unitPairs() {
        return 16;
    }

    @Override
    boolean hasOffsets() {
        return true;
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block)));
            FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat(data.get(SHORT_LE, block + 2)));
            for (int j = 0; j < BLOCK / 2; j += B_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 4 + j, LE);
                ByteVector lo = q.and((byte) 0x0F);
                ByteVector hi = q.lanewise(LSHR, 4);
                int o = dstOffset + i + j;
                for (int p = 0; p < BYTE_PARTS; p++) {
                    FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                    wLo.fma(d, m).intoArray(dst, o + p * F_LANES);
                    FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                    wHi.fma(d, m).intoArray(dst, o + BLOCK / 2 + p * F_LANES);
                }
            }
        }
    }
}
