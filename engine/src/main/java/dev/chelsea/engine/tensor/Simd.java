package dev.chelsea.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;


/**
 * The vector species and memory layouts the weight kernels share.
 *
 * <p>The kernels have no helper methods that take or return vectors, on purpose: a vector crossing a
 * call that C2 declines to inline (too big, or the caller over its node budget) is boxed, and a
 * kernel that boxes runs ten or more times slower. The Vector API's own methods are force-inlined,
 * so everything is written out with them. The same goes for accessing vectors through the
 * {@code Vector<E>} interface type: cast to the concrete vector class first.
 *
 * <p>The float species is the preferred one capped at 512 bits, so that {@link #F_LANES} is 4, 8 or
 * 16 and always divides the 16- and 32-value groups of the quantized blocks (a 1024-bit SVE machine
 * would otherwise put one block in half a vector). Byte and short species carry at least as many
 * lanes as the float species, and whole multiples of it, so one load feeds {@link #BYTE_PARTS}
 * (or one) float vectors.
 *
 * <p>The integer kernels convert {@code F_LANES} fp16 scales at once, written out where needed:
 * the magnitude's bits shifted into a float's ({@code (h & 0x7FFF) << 13}) are the value times
 * {@code 2^-112}, exactly, subnormal halves included; a multiply by {@code 2^112} and the sign bit
 * finish it. That multiply has a float subnormal operand for a subnormal half, which costs a
 * microcode assist, and quantized trained weights have subnormal scales by the million (every
 * Q6_K block's {@code d}): the interleaved copies are therefore rescaled by a power of two per
 * matrix so that their halves are normal, and the kernels multiply by {@code 2^(112 - e)}
 * instead ({@link InterleavedMatrix#dUnit}). The f16 KV cache ({@code HalfAttention}) widens the same way
 * without rescaling: a key or value below {@code 6.1e-5} in magnitude is rare there.
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

    /** Ints in a byte vector's shape (shifts on int lanes: x86 has no byte shifts). */
    static final VectorSpecies<Integer> B_INTS = B.withLanes(int.class);

    /** Shorts, one per float lane (64 bits of shorts for 4 float lanes is the smallest shape). */
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F_LANES * 16));
    /** Ints in the shape of {@link #H}. */
    static final VectorSpecies<Integer> H_INTS = H.withLanes(int.class);
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
}
