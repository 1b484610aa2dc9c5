package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Float to GGUF storage bytes, in ggml's block layouts. The quantized types follow ggml's
 * reference quantizers ({@code quantize_row_*_ref}): the same scale search and rounding, so a
 * file written here holds what llama.cpp would write for the same floats without an importance
 * matrix (bit-exactness is not promised: compilers may fuse multiply-adds in the C code).
 *
 * <p>Besides the types below nothing else is written; {@link #SUPPORTED} lists them. Q5_1 is
 * included because llama.cpp falls back to it for Q5_K rows that are not a multiple of 256.
 */
public final class Quantizer {
    /** The types this class writes. */
    public static final Set<GgmlType> SUPPORTED = Collections.unmodifiableSet(EnumSet.of(
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
            GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K));

    private static final int QK_K = 256;
    /** ggml's threshold below which a group counts as all zeros. */
    private static final float GROUP_MAX_EPS = 1e-15f;
    private static final byte[] ZERO_Q6_K_BLOCK = new byte[210];

    private Quantizer() {
    }

    public static boolean supports(GgmlType type) {
        return SUPPORTED.contains(type);
    }

    /** Bytes taken by {@code count} values of {@code type}; {@code count} must be a multiple of the block size. */
    public static long byteSize(GgmlType type, long count) {
        if (count < 0 || count % type.blockSize != 0) {
            throw new IllegalArgumentException(count + " values cannot be stored as " + type
                    + ": the count must be a non-negative multiple of its block size " + type.blockSize);
        }
        return type.byteSize(count);
    }

    /** Quantizes {@code values[offset .. offset + count)} into a new array. */
    public static byte[] quantize(GgmlType type, float[] values, int offset, int count) {
        long bytes = checkArguments(type, values, offset, count);
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(count + " values of " + type + " take " + bytes
                    + " bytes, more than an array holds; use the ByteBuffer variant in chunks");
        }
        byte[] out = new byte[(int) bytes];
        quantize(type, values, offset, count, ByteBuffer.wrap(out));
        return out;
    }

    /**
     * Quantizes {@code values[offset .. offset + count)} into {@code out} at its position, which
     * advances by {@link #byteSize}. Multi-byte fields are written little-endian whatever the
     * buffer's byte order. Lets callers quantize a large tensor chunk by chunk into one buffer.
     */
    public static void quantize(GgmlType type, float[] values, int offset, int count, ByteBuffer out) {
        long bytes = checkArguments(type, values, offset, count);
        if (out.remaining() < bytes) {
            throw new IllegalArgumentException(count + " values of " + type + " need " + bytes
                    + " bytes but the buffer has " + out.remaining() + " left");
        }
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16) {
            requireFinite(type, values, offset, count);
        }
        int start = out.position();
        ByteBuffer dst = out.slice(start, (int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        int blocks = count / type.blockSize;
        switch (type) {
            case F32 -> dst.asFloatBuffer().put(values, offset, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst.putShort(Float.floatToFloat16(values[offset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst.putShort(toBf16(values[offset + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < blocks; b++) {
                    q8_0(values, offset + b * 32, dst);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < blocks; b++) {
                    q4_0(values, offset + b * 32, dst);
                }
            }
            case Q4_1 -> {
                for (int b = 0; b < blocks; b++) {
                    q4_1(values, offset + b * 32, dst);
                }
            }
            case Q5_0 -> {
                for (int b = 0; b < blocks; b++) {
                    q5_0(values, offset + b * 32, dst);
                }
            }
            case Q5_1 -> {
                for (int b = 0; b < blocks; b++) {
                    q5_1(values, offset + b * 32, dst);
                }
            }
            case Q4_K, Q5_K -> {
                KScratch s = new KScratch();
                for (int b = 0; b < blocks; b++) {
                    if (type == GgmlType.Q4_K) {
                        q4_K(values, offset + b * QK_K, dst, s);
                    } else {
                        q5_K(values, offset + b * QK_K, dst, s);
                    }
                }
            }
            case Q6_K -> {
                KScratch s = new KScratch();
                for (int b = 0; b < blocks; b++) {
                    q6_K(values, offset + b * QK_K, dst, s);
                }
            }
            default -> throw new IllegalArgumentException("cannot quantize to " + type + "; supported: " + SUPPORTED);
        }
        out.position(start + (int) bytes);
    }

    private static long checkArguments(GgmlType type, float[] values, int offset, int count) {
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + "; supported: " + SUPPORTED);
        }
        if (offset < 0 || count < 0 || offset > values.length - count) {
            throw new IllegalArgumentException("range [" + offset + ", " + ((long) offset + count)
                    + ") is outside an array of " + values.length + " values");
        }
        return byteSize(type, count);
    }

    private static void requireFinite(GgmlType type, float[] values, int offset, int count) {
        for (int i = 0; i < count; i++) {
            if (!Float.isFinite(values[offset + i])) {
                throw new IllegalArgumentException("value " + i + " is " + values[offset + i]
                        + ": " + type + " can only store finite values");
            }
        }
    }

    /** ggml's fp32 to bf16: round to nearest even, NaNs kept quiet. */
    static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** C's {@code roundf}: halves away from zero. In double, {@code |v| + 0.5} is exact for any float. */
    private static int roundHalfAway(float v) {
        int r = (int) (Math.abs(v) + 0.5d);
        return v < 0 ? -r : r;
    }

    /**
     * ggml's {@code nearest_int}: adding 1.5 * 2^23 makes the float unit round (half to even) to
     * an integer held in the low mantissa bits. Valid for |v| < 2^22, as in ggml.
     */
    private static int nearestInt(float v) {
        float magic = v + 12582912f;
        return (Float.floatToRawIntBits(magic) & 0x007fffff) - 0x00400000;
    }

    private static void q8_0(float[] x, int o, ByteBuffer dst) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[o + j]));
        }
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        dst.putShort(Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            dst.put((byte) roundHalfAway(x[o + j] * id));
        }
    }

    /** The value of largest magnitude, with its sign (the first one on ties). */
    private static float signedAbsMax(float[] x, int o, int n) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < n; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    private static void q4_0(float[] x, int o, ByteBuffer dst) {
        float d = signedAbsMax(x, o, 32) / -8f;
        float id = d != 0f ? 1f / d : 0f;
        dst.putShort(Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) (x[o + j] * id + 8.5f));
            int q1 = Math.min(15, (int) (x[o + 16 + j] * id + 8.5f));
            dst.put((byte) (q0 | (q1 << 4)));
        }
    }

    private static void q4_1(float[] x, int o, ByteBuffer dst) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[o + j]);
            max = Math.max(max, x[o + j]);
        }
        float d = (max - min) / 15f;
        float id = d != 0f ? 1f / d : 0f;
        dst.putShort(Float.floatToFloat16(d));
        dst.putShort(Float.floatToFloat16(min));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) ((x[o + j] - min) * id + 0.5f));
            int q1 = Math.min(15, (int) ((x[o + 16 + j] - min) * id + 0.5f));
            dst.put((byte) (q0 | (q1 << 4)));
        }
    }

    private static void q5_0(float[] x, int o, ByteBuffer dst) {
        float d = signedAbsMax(x, o, 32) / -16f;
        float id = d != 0f ? 1f / d : 0f;
        dst.putShort(Float.floatToFloat16(d));
        int qhPos = dst.position();
        dst.putInt(0);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (int) (x[o + j] * id + 16.5f));
            int q1 = Math.min(31, (int) (x[o + 16 + j] * id + 16.5f));
            dst.put((byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4)));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        dst.putInt(qhPos, qh);
    }

    private static void q5_1(float[] x, int o, ByteBuffer dst) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[o + j]);
            max = Math.max(max, x[o + j]);
        }
        float d = (max - min) / 31f;
        float id = d != 0f ? 1f / d : 0f;
        dst.putShort(Float.floatToFloat16(d));
        dst.putShort(Float.floatToFloat16(min));
        int qhPos = dst.position();
        dst.putInt(0);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (int) ((x[o + j] - min) * id + 0.5f));
            int q1 = Math.min(31, (int) ((x[o + 16 + j] - min) * id + 0.5f));
            dst.put((byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4)));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        dst.putInt(qhPos, qh);
    }

    /** Work arrays for the K-quants, allocated once per call rather than per block. */
    private static final class KScratch {
        final int[] l = new int[QK_K];
        final int[] laux = new int[32];
        final float[] weights = new float[32];
        final float[] scales = new float[16];
        final float[] mins = new float[8];
        final float[] theMin = new float[1];
        final byte[] packedScales = new byte[12];
        final byte[] q6Scales = new byte[16];
        final byte[] ql = new byte[128];
        final byte[] qh = new byte[64];
    }

    /**
     * ggml's {@code make_qkx2_quants}: fits {@code x ~ scale * L + min} with {@code L} in
     * {@code [0, nmax]} and {@code min <= 0}, searching {@code nstep + 1} candidate scales for the
     * lowest weighted error. Returns the scale; {@code theMin[0]} receives {@code -min}.
     */
    private static float makeQkx2Quants(int n, int nmax, float[] x, int o, float[] weights, int[] l, int lo,
                                        float[] theMin, int[] laux, float rmin, float rdelta, int nstep) {
        float min = x[o];
        float max = x[o];
        float sumW = weights[0];
        float sumX = sumW * x[o];
        for (int i = 1; i < n; i++) {
            float xi = x[o + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                l[lo + i] = 0;
            }
            theMin[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1f / iscale;
        float bestError = 0f;
        for (int i = 0; i < n; i++) {
            int q = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[o + i] - min))));
            l[lo + i] = q;
            float diff = scale * q + min - x[o + i];
            bestError += weights[i] * diff * diff;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0f;
            float sumL2 = 0f;
            float sumXL = 0f;
            for (int i = 0; i < n; i++) {
                int q = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[o + i] - min))));
                laux[i] = q;
                float w = weights[i];
                sumL += w * q;
                sumL2 += w * q * q;
                sumXL += w * q * x[o + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0f;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[o + i];
                    error += weights[i] * diff * diff;
                }
                if (error < bestError) {
                    System.arraycopy(laux, 0, l, lo, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /**
     * The shared first half of Q4_K and Q5_K: per 32-value sub-block scale and min, both
     * quantized to 6 bits against block-wide maxima, then the values requantized against the
     * rounded scales. Writes d, dmin and the 12 packed scale bytes; leaves the levels in {@code s.l}.
     */
    private static void scaleMinBlock(float[] x, int o, int nmax, float rmin, int nstep, ByteBuffer dst, KScratch s) {
        float maxScale = 0f;
        float maxMin = 0f;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0f;
            for (int i = 0; i < 32; i++) {
                float v = x[o + 32 * j + i];
                sumX2 += v * v;
            }
            float avX = (float) Math.sqrt(sumX2 / 32f);
            for (int i = 0; i < 32; i++) {
                s.weights[i] = avX + Math.abs(x[o + 32 * j + i]);
            }
            s.scales[j] = makeQkx2Quants(32, nmax, x, o + 32 * j, s.weights, s.l, 32 * j, s.theMin, s.laux, rmin, 0.1f, nstep);
            s.mins[j] = s.theMin[0];
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.mins[j] > maxMin) {
                maxMin = s.mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] sc = s.packedScales;
        Arrays.fill(sc, (byte) 0);
        for (int j = 0; j < 8; j++) {
            // The C code stores into uint8_t before clamping, so negative values wrap first.
            int ls = Math.min(63, nearestInt(invScale * s.scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * s.mins[j]) & 0xFF);
            if (j < 4) {
                sc[j] = (byte) ls;
                sc[j + 4] = (byte) lm;
            } else {
                sc[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                sc[j - 4] |= (byte) ((ls >> 4) << 6);
                sc[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        short dBits = Float.floatToFloat16(maxScale / 63f);
        short dminBits = Float.floatToFloat16(maxMin / 63f);
        dst.putShort(dBits);
        dst.putShort(dminBits);
        dst.put(sc);
        float d = Float.float16ToFloat(dBits);
        float dmin = Float.float16ToFloat(dminBits);
        for (int j = 0; j < 8; j++) {
            float dj = d * scaleK4(sc, j);
            if (dj == 0f) {
                continue;
            }
            float mj = dmin * minK4(sc, j);
            for (int i = 0; i < 32; i++) {
                s.l[32 * j + i] = Math.max(0, Math.min(nmax, nearestInt((x[o + 32 * j + i] + mj) / dj)));
            }
        }
    }

    /** The 6-bit scale of sub-block {@code j} from the 12 packed bytes (ggml's {@code get_scale_min_k4}). */
    static int scaleK4(byte[] q, int j) {
        return j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | (((q[j - 4] & 0xFF) >> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j} from the 12 packed bytes. */
    static int minK4(byte[] q, int j) {
        return j < 4 ? q[j + 4] & 63 : ((q[j + 4] & 0xFF) >> 4) | (((q[j] & 0xFF) >> 6) << 4);
    }

    private static void q4_K(float[] x, int o, ByteBuffer dst, KScratch s) {
        scaleMinBlock(x, o, 15, -1f, 20, dst, s);
        int[] l = s.l;
        for (int j = 0; j < QK_K; j += 64) {
            for (int i = 0; i < 32; i++) {
                dst.put((byte) (l[j + i] | (l[j + i + 32] << 4)));
            }
        }
    }

    private static void q5_K(float[] x, int o, ByteBuffer dst, KScratch s) {
        scaleMinBlock(x, o, 31, -0.5f, 15, dst, s);
        int[] l = s.l;
        byte[] qh = s.qh;
        byte[] ql = s.ql;
        Arrays.fill(qh, (byte) 0);
        int m1 = 1;
        int m2 = 2;
        for (int n = 0, qlo = 0; n < QK_K; n += 64, qlo += 32) {
            for (int j = 0; j < 32; j++) {
                int l1 = l[n + j];
                if (l1 > 15) {
                    l1 -= 16;
                    qh[j] |= (byte) m1;
                }
                int l2 = l[n + j + 32];
                if (l2 > 15) {
                    l2 -= 16;
                    qh[j] |= (byte) m2;
                }
                ql[qlo + j] = (byte) (l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
        }
        dst.put(qh, 0, 32);
        dst.put(ql);
    }

    /**
     * ggml's {@code make_qx_quants} with {@code rmse_type = 1} (weights x²): a symmetric fit
     * {@code x ~ scale * (L - nmax)}, trying 18 scales around {@code -nmax / max}.
     */
    private static float makeQxQuants(int n, int nmax, float[] x, int o, int[] l, int lo) {
        float max = 0f;
        float amax = 0f;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[o + i]);
            if (ax > amax) {
                amax = ax;
                max = x[o + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                l[lo + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0f;
        float sumL2 = 0f;
        for (int i = 0; i < n; i++) {
            float xi = x[o + i];
            int q = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            l[lo + i] = q + nmax;
            float w = xi * xi;
            sumLX += w * xi * q;
            sumL2 += w * q * q;
        }
        float scale = sumL2 != 0f ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0f;
            sumL2 = 0f;
            for (int i = 0; i < n; i++) {
                float xi = x[o + i];
                int q = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
                float w = xi * xi;
                sumLX += w * xi * q;
                sumL2 += w * q * q;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    l[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[o + i])));
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    private static void q6_K(float[] x, int o, ByteBuffer dst, KScratch s) {
        int[] l = s.l;
        float maxScale = 0f;
        float maxAbsScale = 0f;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQxQuants(16, 32, x, o + 16 * ib, l, 16 * ib);
            s.scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            dst.put(ZERO_Q6_K_BLOCK);
            return;
        }
        float iscale = -128f / maxScale;
        short dBits = Float.floatToFloat16(1f / iscale);
        float d = Float.float16ToFloat(dBits);
        byte[] scales = s.q6Scales;
        for (int ib = 0; ib < 16; ib++) {
            scales[ib] = (byte) Math.min(127, nearestInt(iscale * s.scales[ib]));
        }
        for (int j = 0; j < 16; j++) {
            float dj = d * scales[j];
            if (dj == 0f) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                int q = Math.max(-32, Math.min(31, nearestInt(x[o + 16 * j + i] / dj)));
                l[16 * j + i] = q + 32;
            }
        }
        byte[] ql = s.ql;
        byte[] qh = s.qh;
        for (int j = 0, qlo = 0, qho = 0; j < QK_K; j += 128, qlo += 64, qho += 32) {
            for (int i = 0; i < 32; i++) {
                int q1 = l[j + i] & 0xF;
                int q2 = l[j + i + 32] & 0xF;
                int q3 = l[j + i + 64] & 0xF;
                int q4 = l[j + i + 96] & 0xF;
                ql[qlo + i] = (byte) (q1 | (q3 << 4));
                ql[qlo + i + 32] = (byte) (q2 | (q4 << 4));
                qh[qho + i] = (byte) ((l[j + i] >> 4) | ((l[j + i + 32] >> 4) << 2)
                        | ((l[j + i + 64] >> 4) << 4) | ((l[j + i + 96] >> 4) << 6));
            }
        }
        dst.put(ql);
        dst.put(qh);
        dst.put(scales);
        dst.putShort(dBits);
    }
}
