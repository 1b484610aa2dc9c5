package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

import java.lang.foreign.MemorySegment;

import static dev.chelsea.engine.tensor.Simd.B;
import static dev.chelsea.engine.tensor.Simd.BYTE_PARTS;
import static dev.chelsea.engine.tensor.Simd.B_LANES;
import static dev.chelsea.engine.tensor.Simd.F;
import static dev.chelsea.engine.tensor.Simd.F_LANES;
import static dev.chelsea.engine.tensor.Simd.LE;
import static dev.chelsea.engine.tensor.Simd.SHORT_LE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Q6_K: super-blocks of 256 values,
 * {@code block_q6_K { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; fp16 d; }}, in two halves of 128.
 * In a half, for {@code l < 32} and {@code t} in 0, 1: value {@code l + 32t} takes the low nibble of
 * {@code ql[l + 32t]} and value {@code l + 64 + 32t} its high nibble; their top two bits are bits
 * {@code 2t..2t+1} and {@code 2t+4..2t+5} of {@code qh[l]}. Each 16 values share an int8 scale;
 * value = d * scale * (q - 32).
 *
 * <p>The loop over {@code t} is kept as a loop (not written out twice) so that the loop body stays
 * under C2's inlining node budget; past it, helper calls stop being inlined and vectors get boxed.
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

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long block = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block + D));
            for (int h = 0; h < 2; h++) {
                long sc = block + SCALES + 8 * h;
                for (int l = 0; l < 32; l += B_LANES) {
                    // Shifts on int lanes (x86 has no byte shifts); masks drop bits from neighbours.
                    IntVector qh = ByteVector.fromMemorySegment(B, data, block + QH + 32 * h + l, LE)
                            .reinterpretAsInts();
                    // B_LANES <= 16, so one load never straddles two scales.
                    int is = l / 16;
                    for (int t = 0; t < 2; t++, qh = qh.lanewise(LSHR, 2)) {
                        ByteVector ql = ByteVector.fromMemorySegment(B, data, block + 64 * h + 32 * t + l, LE);
                        ByteVector lo = ql.and((byte) 0x0F)
                                .or(qh.lanewise(LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        ByteVector hi = ql.reinterpretAsInts().lanewise(LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                                .or(qh.reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        FloatVector sLo = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 2 * t));
                        FloatVector sHi = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 4 + 2 * t));
                        int k = xOffset + i + 128 * h + 32 * t + l;
                        for (int p = 0; p < BYTE_PARTS; p++) {
                            FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                            acc0 = wLo.mul(sLo).fma(FloatVector.fromArray(F, x, k + p * F_LANES), acc0);
                            FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                            acc1 = wHi.mul(sHi).fma(FloatVector.fromArray(F, x, k + 64 + p * F_LANES), acc1);
                        }
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(ADD);
    }

    @Override
    void dequantize(int row, int col, int len, float[] dst, int dstOffset) {
        long block = row * rowBytes + (long) (col / BLOCK) * BLOCK_BYTES;
        for (int i = 0; i < len; i += BLOCK, block += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(SHORT_LE, block + D));
            for (int h = 0; h < 2; h++) {
                long sc = block + SCALES + 8 * h;
                for (int l = 0; l < 32; l += B_LANES) {
                    IntVector qh = ByteVector.fromMemorySegment(B, data, block + QH + 32 * h + l, LE)
                            .reinterpretAsInts();
                    int is = l / 16;
                    for (int t = 0; t < 2; t++, qh = qh.lanewise(LSHR, 2)) {
                        ByteVector ql = ByteVector.fromMemorySegment(B, data, block + 64 * h + 32 * t + l, LE);
                        ByteVector lo = ql.and((byte) 0x0F)
                                .or(qh.lanewise(LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        ByteVector hi = ql.reinterpretAsInts().lanewise(LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                                .or(qh.reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        FloatVector sLo = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 2 * t));
                        FloatVector sHi = FloatVector.broadcast(F, d * data.get(JAVA_BYTE, sc + is + 4 + 2 * t));
                        int k = dstOffset + i + 128 * h + 32 * t + l;
                        for (int p = 0; p < BYTE_PARTS; p++) {
                            FloatVector wLo = (FloatVector) lo.convertShape(B2F, F, p);
                            wLo.mul(sLo).intoArray(dst, k + p * F_LANES);
                            FloatVector wHi = (FloatVector) hi.convertShape(B2F, F, p);
                            wHi.mul(sHi).intoArray(dst, k + 64 + p * F_LANES);
                        }
                    }
                }
            }
        }
    }
}
