package dev.chelsea.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The vector species the weight kernels share, and the conversions they all need.
 *
 * <p>The float species is the preferred one capped at 512 bits, so that {@link #F_LANES} is 4, 8 or
 * 16 and always divides the 16- and 32-value groups of the quantized blocks (a 1024-bit SVE machine
 * would otherwise put one block in half a vector). Byte and short species carry at least as many
 * lanes as the float species, and whole multiples of it, so one load feeds {@link #BYTE_PARTS}
 * (or one) float vectors.
 */
final class Simd {
    static final VectorSpecies<Float> F = floatSpecies();
    static final int F_LANES = F.length();

    /** Bytes: {@code max(F_LANES, 8)} lanes (no byte vector is narrower than 64 bits). */
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_64.length() >= F_LANES
            ? ByteVector.SPECIES_64
            : VectorSpecies.of(byte.class, VectorShape.forBitSize(F_LANES * 8));
    static final int B_LANES = B.length();
    /** Float vectors made from one byte vector. */
    static final int BYTE_PARTS = B_LANES / F_LANES;

    /** Shorts, one per float lane (64 bits of shorts for 4 float lanes is the smallest shape). */
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F_LANES * 16));
    /** Ints, one per float lane. */
    static final VectorSpecies<Integer> I = F.withLanes(int.class);

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Simd() {
    }

    private static VectorSpecies<Float> floatSpecies() {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        if (preferred.vectorBitSize() > 512) {
            return FloatVector.SPECIES_512;
        }
        if (preferred.vectorBitSize() < 128) {
            return FloatVector.SPECIES_128;
        }
        return preferred;
    }

    /** The fp16 at {@code offset}, as a float. */
    static float f16(MemorySegment data, long offset) {
        return Float.float16ToFloat(data.get(SHORT_LE, offset));
    }

    /** Byte lanes {@code [part * F_LANES, (part + 1) * F_LANES)} of {@code q}, signed, as floats. */
    static FloatVector toFloats(ByteVector q, int part) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, F, part);
    }

    /** The low four bits of each byte. */
    static ByteVector lowNibbles(ByteVector q) {
        return q.and((byte) 0x0F);
    }

    /** The high four bits of each byte, as values 0..15. */
    static ByteVector highNibbles(ByteVector q) {
        return shiftedBits(q, -4, 0x0F);
    }

    /**
     * Each byte shifted left by {@code shift} (right if negative), then masked with {@code mask}. The
     * shift runs on int lanes, because x86 has no byte shifts; bits that cross into a neighbouring
     * byte are then removed by the mask, which must keep only bits that stayed in their own byte.
     */
    static ByteVector shiftedBits(ByteVector q, int shift, int mask) {
        IntVector v = q.reinterpretAsInts();
        v = shift >= 0 ? v.lanewise(VectorOperators.LSHL, shift) : v.lanewise(VectorOperators.LSHR, -shift);
        return v.reinterpretAsBytes().and((byte) mask);
    }

    /** {@link #F_LANES} fp16 values from {@code offset}, converted exactly (subnormals, infinities and NaN included). */
    static FloatVector loadF16(MemorySegment data, long offset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, data, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = h.and(0x7FFF);
        // Rebias the exponent (15 -> 127) by adding to the shifted bits; exponent 31 needs a further
        // 128 - 16 to land on 255 so that infinities and NaN stay what they are.
        IntVector bits = magnitude.lanewise(VectorOperators.LSHL, 13).add(0x38000000);
        bits = bits.add(0x38000000, magnitude.compare(VectorOperators.GE, 0x7C00));
        FloatVector normal = bits.reinterpretAsFloats();
        // Exponent 0: the value is magnitude * 2^-24, exact in float and never a float subnormal.
        FloatVector subnormal = ((FloatVector) magnitude.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
        VectorMask<Float> isSubnormal = magnitude.compare(VectorOperators.LT, 0x400).cast(F);
        FloatVector value = normal.blend(subnormal, isSubnormal);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return value.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /** {@link #F_LANES} bfloat16 values from {@code offset}: the high halves of floats. */
    static FloatVector loadBf16(MemorySegment data, long offset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, data, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
