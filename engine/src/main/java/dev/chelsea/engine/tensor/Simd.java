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
 * <p><b>One species per element type.</b> The kernels are large: C2's parse passes 18,000 nodes in
 * each of them (60,000 in {@code Q6_KMatrix.gemv}, 74,000 in {@code QuantizedPanelMatMul.kernel3}),
 * after which it delays the Vector API's force-inlined calls and inlines them afterwards, where a
 * receiver whose exact class it does not yet know (a loop-carried vector, the result of another
 * delayed call) is bound through type profiles. The API's convenience methods ({@code and(int)},
 * {@code lanewise(op, int)}, {@code fma}, {@code intoArray}, ...) call the concrete class through a
 * virtual call inside the API, whose profile is shared by every caller in the JVM: when ints of
 * two other shapes (the pairs of {@link QuantizedActivations} on 256 bits, nibble shifts of 128-bit
 * byte vectors viewed as ints in {@code dequantize}) had filled the two rows of
 * {@code IntVector.lanewise(op, int)}'s shift dispatch, the 512-bit kernels' shifts stayed calls,
 * their results were boxed and the operations downstream ran the API's Java fallback: a Q4_K_M
 * decode step allocated 64-600 MB and ran at 19-30 instead of 34-40 tokens/s, in 5 JVMs of 6
 * started with compilation logging (which moves compile timing) and in 4 of 7 without (AMD EPYC,
 * 2 cores, 2026-12-05; none of 7 since). So every int, float, short and byte vector has the
 * species declared here ({@link #I}, {@link #F}, {@link #H}, {@link #B}): bytes are shifted on byte
 * lanes, and the activations' pairs are formed in the lower half of an {@link #I} vector
 * ({@link QuantizedActivations}). With that, 2 JVMs of 6 still slowed (32 MB a step, 31 tokens/s: the last of
 * {@code Q6_KMatrix.gemv}'s four scale statements left as calls), so fewer operations per kernel
 * help too: constant masks made once ({@code lanewise(AND, low)}, not {@code and(0x000F000F)},
 * which broadcasts at each use).
 * One exception: with {@link PairProducts#INT16} the batch kernel views its int vectors as shorts of
 * the same shape ({@link #P}) for a multiply and an add; no other kernel uses short vectors of that
 * shape.
 * {@code CompiledKernelsTest} checks at every width that each compiled kernel stops allocating.
 * Loop-carried vectors are also shifted with a vector count ({@code lanewise(ASHR, sixteen)}),
 * whose dispatch is profiled at the kernel's own call site, as a defence against other species a
 * host application may use.
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

    /** Shorts, one per float lane (64 bits of shorts for 4 float lanes is the smallest shape). */
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F_LANES * 16));
    /**
     * Shorts, two per float lane: the same shape as {@link #I}, for the batch kernel's 16-bit pair
     * products ({@link PairProducts#INT16}), the one place where int vectors are viewed as shorts.
     */
    static final VectorSpecies<Short> P = VectorSpecies.of(short.class, VectorShape.forBitSize(F_LANES * 32));
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
