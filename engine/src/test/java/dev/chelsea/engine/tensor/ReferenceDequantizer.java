package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A plain scalar dequantizer written from ggml's block layouts ({@code dequantize_row_*}), kept
 * apart from the engine's kernels so that quantizer tests do not check the code against itself.
 */
public final class ReferenceDequantizer {
    private ReferenceDequantizer() {
    }

    public static float[] dequantize(GgmlType type, byte[] data, int count) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        float[] y = new float[count];
        int blocks = count / type.blockSize;
        for (int i = 0; i < blocks; i++) {
            int base = i * type.bytesPerBlock;
            int yo = i * type.blockSize;
            switch (type) {
                case F32 -> y[i] = b.getFloat(4 * i);
                case F16 -> y[i] = Float.float16ToFloat(b.getShort(2 * i));
                case BF16 -> y[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xFFFF) << 16);
                case Q8_0 -> {
                    float d = half(b, base);
                    for (int j = 0; j < 32; j++) {
                        y[yo + j] = b.get(base + 2 + j) * d;
                    }
                }
                case Q4_0 -> {
                    float d = half(b, base);
                    for (int j = 0; j < 16; j++) {
                        int q = b.get(base + 2 + j) & 0xFF;
                        y[yo + j] = ((q & 0xF) - 8) * d;
                        y[yo + j + 16] = ((q >> 4) - 8) * d;
                    }
                }
                case Q4_1 -> {
                    float d = half(b, base);
                    float m = half(b, base + 2);
                    for (int j = 0; j < 16; j++) {
                        int q = b.get(base + 4 + j) & 0xFF;
                        y[yo + j] = (q & 0xF) * d + m;
                        y[yo + j + 16] = (q >> 4) * d + m;
                    }
                }
                case Q5_0 -> {
                    float d = half(b, base);
                    int qh = b.getInt(base + 2);
                    for (int j = 0; j < 16; j++) {
                        int q = b.get(base + 6 + j) & 0xFF;
                        int h0 = (qh >>> j) & 1;
                        int h1 = (qh >>> (j + 16)) & 1;
                        y[yo + j] = (((q & 0xF) | (h0 << 4)) - 16) * d;
                        y[yo + j + 16] = (((q >> 4) | (h1 << 4)) - 16) * d;
                    }
                }
                case Q5_1 -> {
                    float d = half(b, base);
                    float m = half(b, base + 2);
                    int qh = b.getInt(base + 4);
                    for (int j = 0; j < 16; j++) {
                        int q = b.get(base + 8 + j) & 0xFF;
                        int h0 = (qh >>> j) & 1;
                        int h1 = (qh >>> (j + 16)) & 1;
                        y[yo + j] = ((q & 0xF) | (h0 << 4)) * d + m;
                        y[yo + j + 16] = ((q >> 4) | (h1 << 4)) * d + m;
                    }
                }
                case Q4_K -> {
                    float d = half(b, base);
                    float dmin = half(b, base + 2);
                    int sc = base + 4;
                    int qs = base + 16;
                    for (int chunk = 0; chunk < 4; chunk++) {
                        float d1 = d * scale(b, sc, 2 * chunk);
                        float m1 = dmin * min(b, sc, 2 * chunk);
                        float d2 = d * scale(b, sc, 2 * chunk + 1);
                        float m2 = dmin * min(b, sc, 2 * chunk + 1);
                        for (int l = 0; l < 32; l++) {
                            int q = b.get(qs + 32 * chunk + l) & 0xFF;
                            y[yo + 64 * chunk + l] = d1 * (q & 0xF) - m1;
                            y[yo + 64 * chunk + 32 + l] = d2 * (q >> 4) - m2;
                        }
                    }
                }
                case Q5_K -> {
                    float d = half(b, base);
                    float dmin = half(b, base + 2);
                    int sc = base + 4;
                    int qh = base + 16;
                    int qs = base + 48;
                    for (int chunk = 0; chunk < 4; chunk++) {
                        float d1 = d * scale(b, sc, 2 * chunk);
                        float m1 = dmin * min(b, sc, 2 * chunk);
                        float d2 = d * scale(b, sc, 2 * chunk + 1);
                        float m2 = dmin * min(b, sc, 2 * chunk + 1);
                        int u1 = 1 << (2 * chunk);
                        int u2 = 2 << (2 * chunk);
                        for (int l = 0; l < 32; l++) {
                            int q = b.get(qs + 32 * chunk + l) & 0xFF;
                            int h = b.get(qh + l) & 0xFF;
                            y[yo + 64 * chunk + l] = d1 * ((q & 0xF) + ((h & u1) != 0 ? 16 : 0)) - m1;
                            y[yo + 64 * chunk + 32 + l] = d2 * ((q >> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
                        }
                    }
                }
                case Q6_K -> {
                    int ql = base;
                    int qh = base + 128;
                    int sc = base + 192;
                    float d = half(b, base + 208);
                    for (int half = 0; half < 2; half++) {
                        for (int l = 0; l < 32; l++) {
                            int is = l / 16;
                            int lo0 = b.get(ql + 64 * half + l) & 0xFF;
                            int lo1 = b.get(ql + 64 * half + 32 + l) & 0xFF;
                            int hi = b.get(qh + 32 * half + l) & 0xFF;
                            int q1 = ((lo0 & 0xF) | ((hi & 3) << 4)) - 32;
                            int q2 = ((lo1 & 0xF) | (((hi >> 2) & 3) << 4)) - 32;
                            int q3 = ((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32;
                            int q4 = ((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32;
                            int s = sc + 8 * half;
                            int o = yo + 128 * half;
                            y[o + l] = d * b.get(s + is) * q1;
                            y[o + l + 32] = d * b.get(s + is + 2) * q2;
                            y[o + l + 64] = d * b.get(s + is + 4) * q3;
                            y[o + l + 96] = d * b.get(s + is + 6) * q4;
                        }
                    }
                }
                default -> throw new IllegalArgumentException("no reference dequantizer for " + type);
            }
        }
        return y;
    }

    static float half(ByteBuffer b, int at) {
        return Float.float16ToFloat(b.getShort(at));
    }

    /** The 6-bit scale of sub-block j from the 12 packed bytes at {@code at}. */
    static int scale(ByteBuffer b, int at, int j) {
        if (j < 4) {
            return b.get(at + j) & 63;
        }
        return (b.get(at + j + 4) & 0xF) | (((b.get(at + j - 4) & 0xFF) >> 6) << 4);
    }

    static int min(ByteBuffer b, int at, int j) {
        if (j < 4) {
            return b.get(at + j + 4) & 63;
        }
        return ((b.get(at + j + 4) & 0xFF) >> 4) | (((b.get(at + j) & 0xFF) >> 6) << 4);
    }
}
