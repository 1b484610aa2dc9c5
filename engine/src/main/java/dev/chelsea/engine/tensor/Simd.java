package dev.chelsea.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The vector species the weight kernels share, and the small conversions they all need.
 *
 * <p>Helpers here stay under C2's always-inline size (35 bytecodes): a vector that crosses a call
 * C2 declines to inline is boxed, and a kernel that boxes runs ten times slower. Larger pieces are
 * written out in each kernel instead.
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

    /**
     * The high four bits of each byte, as values 0..15. The shift runs on int lanes (x86 has no
     * byte shifts); the bits it drags in from the next byte land above the mask.
     */
    static ByteVector highNibbles(ByteVector q) {
        return q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
    }
}
