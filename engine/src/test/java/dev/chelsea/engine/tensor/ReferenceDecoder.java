package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A deliberately plain, byte-by-byte decoder written from ggml's {@code dequantize_row_*} loops,
 * independent of the vector kernels; exact in double precision.
 */
final class ReferenceDecoder {
    private ReferenceDecoder() {
    }

    static double[] row(GgmlType type, MemorySegment data, int cols, int row) {
        long rowBytes = (long) cols / type.blockSize * type.bytesPerBlock;
        double[] out = new double[cols];
        long base = row * rowBytes;
        for (int b = 0; b < cols / type.blockSize; b++) {
            long at = base + (long) b * type.bytesPerBlock;
            int o = b * type.blockSize;
            switch (type) {
                case F32 -> out[o] = Float.intBitsToFloat(u32(data, at));
                case F16 -> out[o] = halfToDouble(u16(data, at));
                case BF16 -> out[o] = Float.intBitsToFloat(u16(data, at) << 16);
                case Q8_0 -> q8_0(data, at, out, o);
                case Q4_0 -> q4_0(data, at, out, o);
                case Q4_1 -> q4_1(data, at, out, o);
                case Q5_0 -> q5_0(data, at, out, o);
                case Q4_K -> q4_k(data, at, out, o);
                case Q5_K -> q5_k(data, at, out, o);
                case Q6_K -> q6_k(data, at, out, o);
                default -> throw new IllegalArgumentException("no reference decoder for " + type);
            }
        }
        return out;
    }

    static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    static int u16(MemorySegment s, long at) {
        return u8(s, at) | u8(s, at + 1) << 8;
    }

    static int u32(MemorySegment s, long at) {
        return u16(s, at) | u16(s, at + 2) << 16;
    }

    /** IEEE half precision, decoded by its definition rather than by {@link Float#float16ToFloat}. */
    static double halfToDouble(int h) {
        int sign = (h >> 15) & 1;
        int exp = (h >> 10) & 0x1F;
        int mant = h & 0x3FF;
        double v;
        if (exp == 0) {
            v = mant * Math.pow(2, -24);
        } else if (exp == 31) {
            v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            v = (1024 + mant) * Math.pow(2, exp - 25);
        }
        return sign == 1 ? -v : v;
    }

    private static double half(MemorySegment s, long at) {
        return halfToDouble(u16(s, at));
    }

    private static void q8_0(MemorySegment s, long at, double[] y, int o) {
        double d = half(s, at);
        for (int j = 0; j < 32; j++) {
            y[o + j] = d * s.get(ValueLayout.JAVA_BYTE, at + 2 + j);
        }
    }

    private static void q4_0(MemorySegment s, long at, double[] y, int o) {
        double d = half(s, at);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 2 + j);
            y[o + j] = d * ((q & 0x0F) - 8);
            y[o + j + 16] = d * ((q >> 4) - 8);
        }
    }

    private static void q4_1(MemorySegment s, long at, double[] y, int o) {
        double d = half(s, at);
        double m = half(s, at + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 4 + j);
            y[o + j] = d * (q & 0x0F) + m;
            y[o + j + 16] = d * (q >> 4) + m;
        }
    }

    private static void q5_0(MemorySegment s, long at, double[] y, int o) {
        double d = half(s, at);
        long qh = u32(s, at + 2) & 0xFFFFFFFFL;
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 6 + j);
            int h0 = (int) (qh >> j) & 1;
            int h1 = (int) (qh >> (j + 16)) & 1;
            y[o + j] = d * (((q & 0x0F) | h0 << 4) - 16);
            y[o + j + 16] = d * (((q >> 4) | h1 << 4) - 16);
        }
    }

    /** ggml's get_scale_min_k4: {scale, min} of sub-block j. */
    private static int[] scaleMin(MemorySegment s, long scales, int j) {
        if (j < 4) {
            return new int[]{u8(s, scales + j) & 63, u8(s, scales + j + 4) & 63};
        }
        int sc = (u8(s, scales + j + 4) & 0x0F) | ((u8(s, scales + j - 4) >> 6) << 4);
        int m = (u8(s, scales + j + 4) >> 4) | ((u8(s, scales + j) >> 6) << 4);
        return new int[]{sc, m};
    }

    private static void q4_k(MemorySegment s, long at, double[] y, int o) {
        double d = half(s, at);
        double dmin = half(s, at + 2);
        long scales = at + 4;
        long qs = at + 16;
        for (int c = 0; c < 4; c++) {
            int[] a = scaleMin(s, scales, 2 * c);
            int[] b = scaleMin(s, scales, 2 * c + 1);
            for (int l = 0; l < 32; l++) {
                int q = u8(s, qs + 32 * c + l);
                y[o + 64 * c + l] = d * a[0] * (q & 0x0F) - dmin * a[1];
                y[o + 64 * c + 32 + l] = d * b[0] * (q >> 4) - dmin * b[1];
            }
        }
    }

    private static void q5_k(MemorySegment s, long at, double[] y, int o) {
        double d = half(s, at);
        double dmin = half(s, at + 2);
        long scales = at + 4;
        long qh = at + 16;
        long qs = at + 48;
        for (int c = 0; c < 4; c++) {
            int[] a = scaleMin(s, scales, 2 * c);
            int[] b = scaleMin(s, scales, 2 * c + 1);
            for (int l = 0; l < 32; l++) {
                int q = u8(s, qs + 32 * c + l);
                int h = u8(s, qh + l);
                int lo = (q & 0x0F) + (((h >> (2 * c)) & 1) != 0 ? 16 : 0);
                int hi = (q >> 4) + (((h >> (2 * c + 1)) & 1) != 0 ? 16 : 0);
                y[o + 64 * c + l] = d * a[0] * lo - dmin * a[1];
                y[o + 64 * c + 32 + l] = d * b[0] * hi - dmin * b[1];
            }
        }
    }

    private static void q6_k(MemorySegment s, long at, double[] y, int o) {
        double d = half(s, at + 208);
        for (int n = 0; n < 2; n++) {
            long ql = at + 64 * n;
            long qh = at + 128 + 32 * n;
            long sc = at + 192 + 8 * n;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int q1 = ((u8(s, ql + l) & 0x0F) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(s, ql + l + 32) & 0x0F) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((u8(s, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((u8(s, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                y[o + 128 * n + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[o + 128 * n + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[o + 128 * n + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[o + 128 * n + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
        }
    }
}
