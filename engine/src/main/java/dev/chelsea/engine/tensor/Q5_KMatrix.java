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
 * Q5_K: super-blocks of 256 values,
 * {@code block_q5_K { fp16 d; fp16 dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]; }}. Low four
 * bits as in Q4_K; the fifth bit of value {@code l} of sub-block {@code j} is bit {@code j} of
 * {@code qh[l]}; value = d * scale(j) * q - dmin * min(j).
 */
final class Q5_KMatrix extends InterleavedMatrix {
    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 176;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;
    /**
     * The interleaved block, in bytes per row ({@link #G} rows side by side): {@code d} and
     * {@code dmin} (4), then four pieces of {@link #PIECE}, each a word of scales and mins (4) and
     * the five words of each of two sub-blocks (20 and 20).
     */
    private static final int PIECE = 44;
    private static final int SUB_BLOCK = 4 * FIVE_BIT_WORDS;

    Q5_KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_K, data, rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector accLo = FloatVector.zero(F);
        FloatVector accHi = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block));
            float negMin = -Float.float16ToFloat(data.get(SHORT_LE, block + 2));
            int a = data.get(INT_LE, block + SCALES);
            int b = data.get(INT_LE, block + SCALES + 4);
            int e = data.get(INT_LE, block + SCALES + 8);
            long scales = PackedScales.scales(a, e);
            long mins = PackedScales.mins(b, e);
            for (int c = 0; c < 4; c++, scales >>>= 16, mins >>>= 16) {
                FloatVector d1 = FloatVector.broadcast(F, d * (int) (scales & 0xFF));
                FloatVector m1 = FloatVector.broadcast(F, negMin * (int) (mins & 0xFF));
                FloatVector d2 = FloatVector.broadcast(F, d * (int) ((scales >>> 8) & 0xFF));
                FloatVector m2 = FloatVector.broadcast(F, negMin * (int) ((mins >>> 8) & 0xFF));
                int xo = xOffset + i + 64 * c;
                for (int j = 0; j < 32; j += B_LANES) {
                    ByteVector q = ByteVector.fromMemorySegment(B, data, block + QS + 32 * c + j, LE);
                    // Bits 2c and 2c+1 of each qh byte, moved to bit 4 by byte-lane shifts (not int
                    // lanes: see Simd on keeping one species per element type).
                    ByteVector qh = ByteVector.fromMemorySegment(B, data, block + QH + j, LE)
                            .lanewise(LSHR, 2 * c);
                    ByteVector lo = q.and((byte) 0x0F).or(qh.lanewise(LSHL, 4).and((byte) 0x10));
                    ByteVector hi = q.lanewise(LSHR, 4)
                            .or(qh.lanewise(LSHL, 3).and((byte) 0x10));
                    for (int p = 0; p < BYTE_PARTS; p++) {
                        int k = xo + j + p * F_LANES;
                        FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                        accLo = wLo.fma(d1, m1).fma(FloatVector.fromArray(F, x, k), accLo);
                        FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                        accHi = wHi.fma(d2, m2).fma(FloatVector.fromArray(F, x, k + 32), accHi);
                    }
                }
            }
        }
        return accLo.add(accHi).reduceLanes(ADD);
    }

    /**
     * {@code d} and {@code dmin}, then for each pair of sub-blocks {@code 2k, 2k + 1} a word of
     * their scales and mins unpacked (the bytes scale, min, scale, min) and the 32 five-bit values
     * of each as five words ({@link #fiveBitWord}), all of the {@link #G} rows side by side.
     *
     * <p>The order is the order {@link #gemv} reads, so that it reads one forward stream. With the
     * scales at the block's start (these words, or the file's twelve bytes), read again at each
     * sub-block, one vector times a 65536 x 2048 matrix from memory took 2.0-2.5x as long (one core:
     * 6.9 against 2.8 ms, 13 against 34 GB/s; two cores 3.5 against 1.5 ms): the hardware's
     * prefetch did not keep up with a stream that went back to the block's start every 320 bytes.
     * Whole Q5_K_M decode steps took 21.5 against 35.6 ms ({@code bin/engine-ab}). The unpacked
     * scales also save the lane-wise unpacking (about 8 vector operations of about 110 a
     * sub-block): 0.89x the time with the matrix in cache. Each row's block is four bytes longer
     * than the file's 176. (AMD EPYC Zen 5, 2026-12-07, the versions in one JVM, rounds in turn.)
     */
    @Override
    void interleaveBlock(byte[] src, int rowStride, int at, byte[] dst) {
        int to = interleaveField(src, rowStride, at, 0, 2, 2, dst, 0);
        interleaveField(src, rowStride, at, 2, 2, 2, dst, to);
        int[] q = new int[32];
        for (int r = 0; r < G; r++) {
            int b = at + r * rowStride;
            int e = (int) INTS.get(src, b + SCALES + 8);
            long scales = PackedScales.scales((int) INTS.get(src, b + SCALES), e);
            long mins = PackedScales.mins((int) INTS.get(src, b + SCALES + 4), e);
            for (int k = 0; k < 4; k++, scales >>>= 16, mins >>>= 16) {
                int word = (int) (scales & 0xFF) | (int) (mins & 0xFF) << 8
                        | (int) ((scales >>> 8) & 0xFF) << 16 | (int) ((mins >>> 8) & 0xFF) << 24;
                INTS.set(dst, (int) scaleWord(2 * k) + 4 * r, word);
            }
            for (int j = 0; j < 8; j++) {
                for (int l = 0; l < 32; l++) {
                    int qs = src[b + QS + 32 * (j >> 1) + l] & 0xFF;
                    q[l] = ((j & 1) == 0 ? qs & 0x0F : qs >> 4) | ((src[b + QH + l] >> j) & 1) << 4;
                }
                for (int m = 0; m < FIVE_BIT_WORDS; m++) {
                    INTS.set(dst, (int) words(j) + (m * G + r) * 4, fiveBitWord(q, 0, m));
                }
            }
        }
    }

    @Override
    int packedBlockBytes() {
        return 4 + 4 * PIECE;
    }

    /** Where the scale word of sub-block {@code j} (shared with its pair, {@code j ^ 1}) starts in an interleaved block. */
    private static long scaleWord(int j) {
        return (4L + PIECE * (j >> 1)) * G;
    }

    /** Where the five words of sub-block {@code j} start in an interleaved block. */
    private static long words(int j) {
        return scaleWord(j) + (4L + SUB_BLOCK * (j & 1)) * G;
    }

    /**
     * One vector times rows: each sub-block's five words ({@link #fiveBitWord}) give its 16 pairs,
     * multiplied by the activation pairs as in {@code Q4_KMatrix.gemv}; the unsigned values go into
     * two accumulators, pairs 0-7 and 8-15 (eight products of at most {@code 31 * 127} each fit
     * the low half, see {@link InterleavedMatrix#ROUND}), each starting at minus 16 times its
     * activations' sum (two {@link QuantizedActivations#octetSums}), so that their high halves end as
     * {@code sum (q - 16) x}. As in {@code Q4_KMatrix.gemv}, the super-block stays in integers
     * (activations with one scale per super-block): each sub-block adds
     * {@code sc (sum (q - 16) x + 16 X)} and {@code m X} to two int sums (below 2^26), scaled once
     * per super-block by {@code d} and {@code -dmin}.
     *
     * <p>The sub-blocks' values in five-bit words instead of the file's nibbles and separate fifth
     * bits (kept in words until 2026-12-06): about 75 vector operations per sub-block and 16 rows
     * instead of 120 (counted in C2's code). One vector times a 2048 x 2048 matrix on one core in
     * cache: 14.0-14.7 GB/s before, 18.7-18.9 after; 65536 x 2048 from memory on two cores
     * 16.7-20.4 before, 28.1-30.2 after ({@code MatMulBenchmarkMain Q5_K 1,2 1 ...}, alternating
     * JVMs; AMD EPYC Zen 4, 2026-12-06). A whole Q5_K_M decode, where both its kernels now read at
     * the rate the machine gives, gained less: medians 30.7 against 33.0 tokens/s in three
     * alternating pairs of JVMs.
     */
    @Override
    void gemv(QuantizedActivations a, float[] out, int outOffset, int outStride, int r0, int r1) {
        float dUnit = this.dUnit;
        float minUnit = this.minUnit;
        IntVector five = IntVector.broadcast(I, 0x001F001F);
        IntVector top = IntVector.broadcast(I, 0x80008000);
        IntVector bytes = IntVector.broadcast(I, 0xFF);
        IntVector halfBits = IntVector.broadcast(I, 0x8FFFE000);
        IntVector sixteen = IntVector.broadcast(I, 16);
        for (int g = r0 / G; g * G < r1; g++) {
            for (int t = 0; t < a.count; t++) {
                long o = g * groupBytes;
                int[] xp = a.pairs;
                int xk = t * (cols / 2);
                int xb = t * (cols / 32);
                FloatVector acc = FloatVector.zero(F);
                int[] sums = a.octetSums;
                int[] bs = a.blockSums;
                IntVector zero = IntVector.zero(I);
                for (int sb = 0, blocks = cols / 256; sb < blocks; sb++, o += groupBlockBytes) {
                    IntVector sc = zero;
                    IntVector mn = zero;
                    int x = xk + sb * 128;
                    for (int j = 0; j < 8; j++, x = unhoisted(x + 16)) {
                        // Scale and min of sub-block j (bytes 0 and 1 of its word, or 2 and 3), read
                        // before its values, in the order of the copy: read after them (the same
                        // layout), one vector times 65536 x 2048 from memory on two cores took 1.85x
                        // as long (2.57 against 1.39 ms, one JVM, rounds in turn).
                        IntVector sm = IntVector.fromMemorySegment(I, packed, o + scaleWord(j), LE).lanewise(LSHR, 16 * (j & 1));
                        long q = o + words(j);
                        int n = x >> 2;
                        IntVector lo = IntVector.broadcast(I, ROUND - ((sums[n] + sums[n + 1]) << 20));
                        IntVector hi = IntVector.broadcast(I, ROUND - ((sums[n + 2] + sums[n + 3]) << 20));
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
                        int s = xb + 8 * sb + j;
                        sc = lo.lanewise(ASHR, sixteen).add(hi.lanewise(ASHR, sixteen)).add(IntVector.broadcast(I, bs[s] << 4)).mul(sm.lanewise(AND, bytes)).add(sc);
                        mn = sm.lanewise(LSHR, 8).lanewise(AND, bytes).mul(bs[s]).add(mn);
                    }
                    IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
                    FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(dUnit);
                    IntVector dminBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o + 2 * G, LE).convertShape(S2I, I, 0);
                    FloatVector dmin = ((FloatVector) dminBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(minUnit);
                    float dx = a.scales[xb + 8 * sb];
                    acc = d.mul((FloatVector) sc.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, dx), acc);
                    acc = dmin.mul((FloatVector) mn.convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, -dx), acc);
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
        long o = group * groupBytes + (pair0 / 128) * groupBlockBytes;
        for (int sb = 0; sb < pairs / 128; sb++, o += groupBlockBytes) {
            for (int j = 0; j < 8; j++) {
                fillFiveBitWords(o + words(j), w, sb * 128 + 16 * j);
            }
            fillPanelScales(o, 16 / unitPairs(), sb * 128 / unitPairs(), scale, offset);
        }
    }

    /**
     * {@link PackedScales#fillPanelScales} for this copy's unpacked scales, written out as there
     * (helpers taking or returning vectors risk boxing them where C2 does not inline).
     */
    private void fillPanelScales(long o, int unitsPerSub, int u0, float[] scale, float[] offset) {
        IntVector bytes = IntVector.broadcast(I, 0xFF);
        IntVector halfBits = IntVector.broadcast(I, 0x8FFFE000);
        IntVector dBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o, LE).convertShape(S2I, I, 0);
        FloatVector d = ((FloatVector) dBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(dUnit);
        IntVector dminBits = (IntVector) ShortVector.fromMemorySegment(H, packed, o + 2 * G, LE).convertShape(S2I, I, 0);
        FloatVector dmin = ((FloatVector) dminBits.lanewise(LSHL, 13).lanewise(AND, halfBits).reinterpretShape(F, 0)).mul(minUnit);
        for (int j = 0; j < 8; j++) {
            IntVector sm = IntVector.fromMemorySegment(I, packed, o + scaleWord(j), LE).lanewise(LSHR, 16 * (j & 1));
            FloatVector ds = d.mul((FloatVector) sm.lanewise(AND, bytes).convertShape(I2F, F, 0));
            FloatVector off = ds.mul(16f).sub(dmin.mul((FloatVector) sm.lanewise(LSHR, 8).lanewise(AND, bytes).convertShape(I2F, F, 0)));
            for (int u = u0 + unitsPerSub * j; u < u0 + unitsPerSub * (j + 1); u++) {
                ds.intoArray(scale, u * G);
                off.intoArray(offset, u * G);
            }
        }
    }

    @Override
    public int batchFrom() {
        return floatBatches ? floatBatchFrom() : batchFromLanes(10);
    }

    @Override
    public boolean superBlockActivations() {
        return true;
    }

    @Override
    int unitPairs() {
        return PairProducts.BATCH.unitPairs(8);
    }

    @Override
    boolean hasOffsets() {
        return true;
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block));
            float negMin = -Float.float16ToFloat(data.get(SHORT_LE, block + 2));
            int a = data.get(INT_LE, block + SCALES);
            int b = data.get(INT_LE, block + SCALES + 4);
            int e = data.get(INT_LE, block + SCALES + 8);
            long scales = PackedScales.scales(a, e);
            long mins = PackedScales.mins(b, e);
            for (int c = 0; c < 4; c++, scales >>>= 16, mins >>>= 16) {
                FloatVector d1 = FloatVector.broadcast(F, d * (int) (scales & 0xFF));
                FloatVector m1 = FloatVector.broadcast(F, negMin * (int) (mins & 0xFF));
                FloatVector d2 = FloatVector.broadcast(F, d * (int) ((scales >>> 8) & 0xFF));
                FloatVector m2 = FloatVector.broadcast(F, negMin * (int) ((mins >>> 8) & 0xFF));
                int o = dstOffset + i + 64 * c;
                for (int j = 0; j < 32; j += B_LANES) {
                    ByteVector q = ByteVector.fromMemorySegment(B, data, block + QS + 32 * c + j, LE);
                    // Bits 2c and 2c+1 of each qh byte, moved to bit 4 by byte-lane shifts (not int
                    // lanes: see Simd on keeping one species per element type).
                    ByteVector qh = ByteVector.fromMemorySegment(B, data, block + QH + j, LE)
                            .lanewise(LSHR, 2 * c);
                    ByteVector lo = q.and((byte) 0x0F).or(qh.lanewise(LSHL, 4).and((byte) 0x10));
                    ByteVector hi = q.lanewise(LSHR, 4)
                            .or(qh.lanewise(LSHL, 3).and((byte) 0x10));
                    for (int p = 0; p < BYTE_PARTS; p++) {
                        int k = o + j + p * F_LANES;
                        FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                        wLo.fma(d1, m1).intoArray(dst, k);
                        FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                        wHi.fma(d2, m2).intoArray(dst, k + 32);
                    }
                }
            }
        }
    }
}
