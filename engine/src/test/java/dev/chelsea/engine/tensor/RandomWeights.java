package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Random tensors in a storage type: every quant bit pattern is random; fp16 scale fields are random
 * finite halves (subnormals and extremes included); plain float types hold finite values of modest
 * range so that dot products cannot overflow.
 */
final class RandomWeights {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {
    }

    /** A seed for a test, or the one given with {@code -Dchelsea.seed=...} to replay a failure. */
    static long seed() {
        String fixed = System.getProperty("chelsea.seed");
        return fixed != null ? Long.parseLong(fixed) : new SplittableRandom().nextLong();
    }

    /**
     * {@code rows x cols} random values in {@code type}, in native memory starting one byte past an
     * aligned address (tensor rows in real files start at arbitrary offsets too).
     */
    static MemorySegment matrix(GgmlType type, int rows, int cols, SplittableRandom rnd) {
        long bytes = (long) rows * (cols / type.blockSize) * type.bytesPerBlock;
        MemorySegment s = Arena.ofAuto().allocate(bytes + 1, 64).asSlice(1, bytes);
        for (long i = 0; i < bytes; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        long blocks = bytes / type.bytesPerBlock;
        for (long b = 0; b < blocks; b++) {
            long at = b * type.bytesPerBlock;
            switch (type) {
                case F32 -> s.set(FLOAT_LE, at, (float) rnd.nextGaussian());
                case F16 -> s.set(SHORT_LE, at, finiteHalf(rnd));
                case BF16 -> s.set(SHORT_LE, at, (short) (Float.floatToRawIntBits(moderateFloat(rnd)) >>> 16));
                default -> {
                    for (int field : scaleFields(type)) {
                        s.set(SHORT_LE, at + field, finiteHalf(rnd));
                    }
                }
            }
        }
        return s;
    }

    /** Offsets of the fp16 scale fields within a block of a quantized type. */
    static int[] scaleFields(GgmlType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException("no generator for " + type);
        };
    }

    /** Any half-precision bit pattern except infinities and NaN. */
    static short finiteHalf(SplittableRandom rnd) {
        while (true) {
            int h = rnd.nextInt(0x10000);
            if ((h & 0x7C00) != 0x7C00) {
                return (short) h;
            }
        }
    }

    /** Sign, a random exponent within 2^+-30, and a random mantissa; sometimes zero or a float subnormal. */
    private static float moderateFloat(SplittableRandom rnd) {
        int kind = rnd.nextInt(64);
        if (kind == 0) {
            return 0f;
        }
        if (kind == 1) {
            return Float.intBitsToFloat(rnd.nextInt(1 << 23) | (rnd.nextBoolean() ? 0x80000000 : 0));
        }
        int exponent = 127 + rnd.nextInt(-30, 31);
        return Float.intBitsToFloat((rnd.nextBoolean() ? 0x80000000 : 0) | exponent << 23 | rnd.nextInt(1 << 23));
    }

    /** {@code count} activations in [-1, 1]. */
    static float[] activations(int count, SplittableRandom rnd) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }
}
