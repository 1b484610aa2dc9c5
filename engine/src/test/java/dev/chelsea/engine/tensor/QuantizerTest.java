package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizerTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static String repeat(String hexByte, int n) {
        return hexByte.repeat(n);
    }

    // ---- exact bytes for hand-made blocks -------------------------------------------------

    @Test
    void f32IsLittleEndianFloats() {
        byte[] b = Quantizer.quantize(GgmlType.F32, new float[]{1f, -2f}, 0, 2);
        assertArrayEquals(hex("0000803f 000000c0"), b);
    }

    @Test
    void f16RoundsToNearest() {
        byte[] b = Quantizer.quantize(GgmlType.F16, new float[]{1f, -2f, 65504f, 1f / 3f}, 0, 4);
        assertArrayEquals(hex("003c 00c0 ff7b 5535"), b);
    }

    @Test
    void bf16RoundsHalfToEvenAndKeepsNaNsQuiet() {
        float tieDown = Float.intBitsToFloat(0x3F808000); // halfway between 0x3F80 and 0x3F81
        float tieUp = Float.intBitsToFloat(0x3F818000);   // halfway between 0x3F81 and 0x3F82
        float signalingNaN = Float.intBitsToFloat(0x7F800001);
        byte[] b = Quantizer.quantize(GgmlType.BF16, new float[]{1f, tieDown, tieUp, signalingNaN, -0f}, 0, 5);
        assertArrayEquals(hex("803f 803f 823f c07f 0080"), b);
    }

    @Test
    void q8_0HandMadeBlock() {
        float[] x = new float[32];
        for (int j = 0; j < 29; j++) {
            x[j] = 4 * j - 64; // -64 .. 48
        }
        x[29] = 2.5f;  // halves round away from zero, as C's roundf does
        x[30] = -2.5f;
        x[31] = 127f;  // absmax 127 makes the scale exactly 1.0 (fp16 0x3c00)
        StringBuilder expected = new StringBuilder("003c");
        for (int j = 0; j < 29; j++) {
            expected.append(String.format("%02x", (4 * j - 64) & 0xFF));
        }
        expected.append("03fd7f");
        assertArrayEquals(hex(expected.toString()), Quantizer.quantize(GgmlType.Q8_0, x, 0, 32));
    }

    @Test
    void q4_0HandMadeBlock() {
        float[] x = new float[32];
        for (int j = 0; j < 16; j++) {
            x[j] = j - 8;       // the first -8 is the signed absmax: d = -8 / -8 = 1
            x[16 + j] = 7 - j;
        }
        StringBuilder expected = new StringBuilder("003c");
        for (int j = 0; j < 16; j++) {
            expected.append(String.format("%02x", j | ((15 - j) << 4)));
        }
        assertArrayEquals(hex(expected.toString()), Quantizer.quantize(GgmlType.Q4_0, x, 0, 32));
    }

    @Test
    void q4_1HandMadeBlock() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = (j % 16) - 4; // min -4 (fp16 0xc400), max 11: d = 15 / 15 = 1
        }
        StringBuilder expected = new StringBuilder("003c 00c4");
        for (int j = 0; j < 16; j++) {
            expected.append(String.format("%02x", j * 17));
        }
        assertArrayEquals(hex(expected.toString()), Quantizer.quantize(GgmlType.Q4_1, x, 0, 32));
    }

    @Test
    void q5_0HandMadeBlock() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16; // signed absmax -16: d = 1, level = x + 16 = j
        }
        // levels 16..31 of the second half carry the fifth bit: qh bits 16..31
        StringBuilder expected = new StringBuilder("003c 0000ffff");
        for (int j = 0; j < 16; j++) {
            expected.append(String.format("%02x", j * 17));
        }
        assertArrayEquals(hex(expected.toString()), Quantizer.quantize(GgmlType.Q5_0, x, 0, 32));
    }

    @Test
    void q5_1HandMadeBlock() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 10; // min -10 (fp16 0xc900), max 21: d = 31 / 31 = 1
        }
        StringBuilder expected = new StringBuilder("003c 00c9 0000ffff");
        for (int j = 0; j < 16; j++) {
            expected.append(String.format("%02x", j * 17));
        }
        assertArrayEquals(hex(expected.toString()), Quantizer.quantize(GgmlType.Q5_1, x, 0, 32));
    }

    @Test
    void q4_KConstantBlock() {
        // Every sub-block fits scale 1/15 with min 0, so all 8 scales quantize to 63 and all
        // mins to 0: d = fp16(1/15/63) = 0x1456, dmin = 0, levels all 15.
        float[] x = new float[256];
        Arrays.fill(x, 1f);
        String expected = "5614 0000" + "ffffffff 00000000 0f0f0f0f" + repeat("ff", 128);
        assertArrayEquals(hex(expected), Quantizer.quantize(GgmlType.Q4_K, x, 0, 256));
    }

    @Test
    void q5_KConstantBlock() {
        // Scale 1/31: d = fp16(1/31/63) = 0x1032, levels all 31, so every high bit is set.
        float[] x = new float[256];
        Arrays.fill(x, 1f);
        String expected = "3210 0000" + "ffffffff 00000000 0f0f0f0f" + repeat("ff", 32) + repeat("ff", 128);
        assertArrayEquals(hex(expected), Quantizer.quantize(GgmlType.Q5_K, x, 0, 256));
    }

    @Test
    void q6_KConstantBlock() {
        // Each 16-value group fits scale -1/32 (level -32); the block scale is -128 per group and
        // d = 1/4096 (fp16 0x0c00); every stored level is -32 + 32 = 0.
        float[] x = new float[256];
        Arrays.fill(x, 1f);
        String expected = repeat("00", 128) + repeat("00", 64) + repeat("80", 16) + "000c";
        assertArrayEquals(hex(expected), Quantizer.quantize(GgmlType.Q6_K, x, 0, 256));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void zerosStayZeros(GgmlType type) {
        float[] x = new float[512];
        byte[] q = Quantizer.quantize(type, x, 0, x.length);
        float[] y = ReferenceDequantizer.dequantize(type, q, x.length);
        for (float v : y) {
            assertEquals(0f, v, 0f, "signed zero is fine, anything else is not");
        }
    }

    // ---- round trips of random data -------------------------------------------------------

    /** Gaussian values with a few outliers, as weight matrices have. */
    private static float[] weights(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = r.nextDouble();
            double u2 = r.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2) * 0.02);
            if (r.nextInt(200) == 0) {
                x[i] *= 6;
            }
        }
        return x;
    }

    private static double relativeRmse(float[] x, float[] y) {
        double err = 0;
        double ref = 0;
        for (int i = 0; i < x.length; i++) {
            err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            ref += x[i] * (double) x[i];
        }
        return Math.sqrt(err / ref);
    }

    private static final double FP16_EPS = 1.0 / 2048;

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void legacyQuantsStayWithinHalfAStep(GgmlType type) {
        float[] x = weights(32 * 256, 7);
        float[] y = ReferenceDequantizer.dequantize(type, Quantizer.quantize(type, x, 0, x.length), x.length);
        for (int b = 0; b < x.length / 32; b++) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[32 * b + j];
                min = Math.min(min, v);
                max = Math.max(max, v);
                amax = Math.max(amax, Math.abs(v));
            }
            // Symmetric types put the signed absmax at level 0, so the opposite end of the range
            // may be clipped by one step; the others are bounded by half a step. Scales (and
            // mins) are stored as fp16, which adds up to one fp16 ulp per level.
            double bound = switch (type) {
                case Q8_0 -> amax / 127 * (0.5 + 127 * FP16_EPS);
                case Q4_0 -> amax / 8 * (1 + 8 * FP16_EPS);
                case Q5_0 -> amax / 16 * (1 + 16 * FP16_EPS);
                case Q4_1 -> (max - min) / 15 * (0.5 + 15 * FP16_EPS) + Math.abs(min) * FP16_EPS;
                case Q5_1 -> (max - min) / 31 * (0.5 + 31 * FP16_EPS) + Math.abs(min) * FP16_EPS;
                default -> throw new AssertionError();
            };
            for (int j = 0; j < 32; j++) {
                int i = 32 * b + j;
                double err = Math.abs(x[i] - y[i]);
                assertTrue(err <= bound * 1.0001 + 1e-9,
                        type + " block " + b + " value " + j + ": |" + x[i] + " - " + y[i] + "| = " + err + " > " + bound);
            }
        }
        double maxRmse = switch (type) {
            case Q8_0 -> 0.01;
            case Q5_0, Q5_1 -> 0.06;
            default -> 0.12;
        };
        double rmse = relativeRmse(x, y);
        assertTrue(rmse < maxRmse, type + " relative RMSE " + rmse);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void kQuantsStayWithinTheirSubBlockSteps(GgmlType type) {
        float[] x = weights(256 * 32, 11);
        byte[] q = Quantizer.quantize(type, x, 0, x.length);
        float[] y = ReferenceDequantizer.dequantize(type, q, x.length);
        ByteBuffer b = ByteBuffer.wrap(q).order(ByteOrder.LITTLE_ENDIAN);
        for (int blk = 0; blk < x.length / 256; blk++) {
            int base = blk * type.bytesPerBlock;
            int groups = type == GgmlType.Q6_K ? 16 : 8;
            int size = 256 / groups;
            for (int g = 0; g < groups; g++) {
                double step;
                double offsetError;
                if (type == GgmlType.Q6_K) {
                    step = Math.abs(ReferenceDequantizer.half(b, base + 208) * b.get(base + 192 + g));
                    offsetError = 0;
                } else {
                    step = ReferenceDequantizer.half(b, base) * ReferenceDequantizer.scale(b, base + 4, g);
                    offsetError = ReferenceDequantizer.half(b, base + 2) / 2;
                }
                float lo = Float.MAX_VALUE;
                float hi = -Float.MAX_VALUE;
                for (int i = 0; i < size; i++) {
                    lo = Math.min(lo, x[blk * 256 + g * size + i]);
                    hi = Math.max(hi, x[blk * 256 + g * size + i]);
                }
                // The scale search may give up the extremes of a group for a better fit of the
                // bulk, and 6-bit (8-bit for Q6_K) scales round; one and a half steps bound both.
                double bound = 1.5 * step + offsetError + (hi - lo) * 1e-3;
                for (int i = 0; i < size; i++) {
                    int at = blk * 256 + g * size + i;
                    double err = Math.abs(x[at] - y[at]);
                    assertTrue(err <= bound, type + " block " + blk + " group " + g + " value " + i
                            + ": |" + x[at] + " - " + y[at] + "| = " + err + " > " + bound);
                }
            }
        }
        double maxRmse = switch (type) {
            case Q6_K -> 0.03;
            case Q5_K -> 0.05;
            default -> 0.11;
        };
        double rmse = relativeRmse(x, y);
        assertTrue(rmse < maxRmse, type + " relative RMSE " + rmse);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16"})
    void floatTypesRoundTrip(GgmlType type) {
        float[] x = weights(1000, 3);
        float[] y = ReferenceDequantizer.dequantize(type, Quantizer.quantize(type, x, 0, x.length), x.length);
        double relBound = switch (type) {
            case F32 -> 0;
            case F16 -> 1.0 / 2048;
            default -> 1.0 / 256;
        };
        for (int i = 0; i < x.length; i++) {
            // fp16 subnormals below 2^-14 lose relative precision; the absolute slack covers them
            assertTrue(Math.abs(x[i] - y[i]) <= Math.abs(x[i]) * relBound + (type == GgmlType.F16 ? 6e-8 : 0),
                    type + " value " + i + ": " + x[i] + " -> " + y[i]);
        }
    }

    // ---- the streaming variant ------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void bufferVariantWritesTheSameBytesChunkByChunk(GgmlType type) {
        int n = 256 * 4;
        float[] x = weights(n, 5);
        byte[] whole = Quantizer.quantize(type, x, 0, n);
        assertEquals(Quantizer.byteSize(type, n), whole.length);

        // A big-endian buffer with a prefix: output must still be little-endian and placed at the position.
        ByteBuffer buf = ByteBuffer.allocate(3 + whole.length + 2).order(ByteOrder.BIG_ENDIAN);
        buf.position(3);
        for (int off = 0; off < n; off += 256) {
            Quantizer.quantize(type, x, off, 256, buf);
        }
        assertEquals(3 + whole.length, buf.position());
        assertEquals(ByteOrder.BIG_ENDIAN, buf.order());
        assertArrayEquals(whole, Arrays.copyOfRange(buf.array(), 3, 3 + whole.length));
    }

    // ---- bad input ------------------------------------------------------------------------

    @Test
    void rejectsBadInputWithClearMessages() {
        float[] x = new float[64];
        var partial = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q4_K, x, 0, 64));
        assertTrue(partial.getMessage().contains("multiple of its block size 256"), partial.getMessage());

        var range = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q8_0, x, 48, 32));
        assertTrue(range.getMessage().contains("outside an array of 64"), range.getMessage());

        var unsupported = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.IQ2_XXS, new float[256], 0, 256));
        assertTrue(unsupported.getMessage().contains("cannot quantize to IQ2_XXS"), unsupported.getMessage());

        x[5] = Float.NaN;
        var nan = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q8_0, x, 0, 32));
        assertTrue(nan.getMessage().contains("value 5 is NaN"), nan.getMessage());

        var small = assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantize(GgmlType.Q8_0, new float[32], 0, 32, ByteBuffer.allocate(33)));
        assertTrue(small.getMessage().contains("need 34 bytes"), small.getMessage());
    }
}
