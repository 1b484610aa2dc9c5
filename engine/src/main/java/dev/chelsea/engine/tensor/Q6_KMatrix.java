package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import static dev.chelsea.engine.tensor.Simd.B;
import static dev.chelsea.engine.tensor.Simd.BYTE_PARTS;
import static dev.chelsea.engine.tensor.Simd.B_LANES;
import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.f16;
import static dev.chelsea.engine.tensor.Simd.highNibbles;
import static dev.chelsea.engine.tensor.Simd.lowNibbles;
import static dev.chelsea.engine.tensor.Simd.shiftedBits;
import static dev.chelsea.engine.tensor.Simd.toFloats;

/**
 * Q6_K: super-blocks of 256 values,
 * {@code block_q6_K { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; fp16 d; }}, in two halves of 128.
 * In a half, for {@code l < 32}: values {@code l} and {@code l + 64} take the low and high nibbles of
 * {@code ql[l]}, values {@code l + 32} and {@code l + 96} those of {@code ql[l + 32]}, and their top two
 * bits are bits 0-1, 4-5, 2-3 and 6-7 of {@code qh[l]}; each 16 values share an int8 scale;
 * value = d * scale * (q - 32).
 */
final class Q6_KMatrix extends WeightMatrix {
    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    Q6_KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q6_K, data, rows, cols);
    }

    /** Six-bit values minus 32: {@code nibbles | ((qh >> shift) & 3) << 4}. */
    private static ByteVector combine(ByteVector nibbles, ByteVector qh, int shift) {
        return nibbles.or(shiftedBits(qh, 4 - shift, 0x30)).sub((byte) 32);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            float d = f16(data, block + D);
            for (int h = 0; h < 2; h++) {
                long ql = block + 64 * h;
                long qhAt = block + QH + 32 * h;
                long sc = block + SCALES + 8 * h;
                int xo = xOffset + i + 128 * h;
                for (int l = 0; l < 32; l += B_LANES) {
                    ByteVector a = ByteVector.fromMemorySegment(B, data, ql + l, LE);
                    ByteVector b = ByteVector.fromMemorySegment(B, data, ql + 32 + l, LE);
                    ByteVector qh = ByteVector.fromMemorySegment(B, data, qhAt + l, LE);
                    ByteVector q1 = combine(lowNibbles(a), qh, 0);
                    ByteVector q2 = combine(lowNibbles(b), qh, 2);
                    ByteVector q3 = combine(highNibbles(a), qh, 4);
                    ByteVector q4 = combine(highNibbles(b), qh, 6);
                    // B_LANES <= 16, so one load never straddles two scales.
                    int is = l / 16;
                    FloatVector s1 = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is));
                    FloatVector s2 = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 2));
                    FloatVector s3 = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 4));
                    FloatVector s4 = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 6));
                    for (int p = 0; p < BYTE_PARTS; p++) {
                        int k = xo + l + p * F_LANES;
                        acc0 = toFloats(q1, p).mul(s1).fma(FloatVector.fromArray(F, x, k), acc0);
                        acc1 = toFloats(q2, p).mul(s2).fma(FloatVector.fromArray(F, x, k + 32), acc1);
                        acc0 = toFloats(q3, p).mul(s3).fma(FloatVector.fromArray(F, x, k + 64), acc0);
                        acc1 = toFloats(q4, p).mul(s4).fma(FloatVector.fromArray(F, x, k + 96), acc1);
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            float d = f16(data, block + D);
            for (int h = 0; h < 2; h++) {
                long ql = block + 64 * h;
                long qhAt = block + QH + 32 * h;
                long sc = block + SCALES + 8 * h;
                int o = dstOffset + i + 128 * h;
                for (int l = 0; l < 32; l += B_LANES) {
                    ByteVector a = ByteVector.fromMemorySegment(B, data, ql + l, LE);
                    ByteVector b = ByteVector.fromMemorySegment(B, data, ql + 32 + l, LE);
                    ByteVector qh = ByteVector.fromMemorySegment(B, data, qhAt + l, LE);
                    ByteVector q1 = combine(lowNibbles(a), qh, 0);
                    ByteVector q2 = combine(lowNibbles(b), qh, 2);
                    ByteVector q3 = combine(highNibbles(a), qh, 4);
                    ByteVector q4 = combine(highNibbles(b), qh, 6);
                    int is = l / 16;
                    FloatVector s1 = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is));
                    FloatVector s2 = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 2));
                    FloatVector s3 = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 4));
                    FloatVector s4 = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 6));
                    for (int p = 0; p < BYTE_PARTS; p++) {
                        int k = o + l + p * F_LANES;
                        toFloats(q1, p).mul(s1).intoArray(dst, k);
                        toFloats(q2, p).mul(s2).intoArray(dst, k + 32);
                        toFloats(q3, p).mul(s3).intoArray(dst, k + 64);
                        toFloats(q4, p).mul(s4).intoArray(dst, k + 96);
                    }
                }
            }
        }
    }
}
