package dev.chelsea.engine.tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * How the batch kernel ({@link QuantizedPanelMatMul}) multiplies a pair of weights by a pair of
 * 8-bit activations held in one 32-bit lane, chosen once per JVM.
 *
 * <p>{@link #INT32}: one 32-bit multiply whose high half is the two-term dot product (see
 * {@link InterleavedMatrix}). {@link #INT16}: the lane read as two 16-bit lanes, each holding one
 * weight (or activation) exactly, multiplied and summed as shorts; after a unit, the two halves
 * are widened and added. The same products and sums, so the same results; what differs is the
 * instruction: a 512-bit 32-bit multiply is two micro-operations on one port of Intel's cores
 * and a 16-bit one is one. Measured with {@code MatMulBenchmarkMain} (one core, 2048 x 2048, 64
 * vectors, alternating JVMs): on an Intel Xeon (AVX-512, 2026-12-06) {@code INT16} is 5-11% faster
 * for Q4_0, 2-12% for Q4_K, 10-15% for Q5_K and 11-22% for Q6_K (each half sums as many products
 * as a whole int32 unit, so Q5 and Q6_K read out half as often), and 256-token prefills 15-17%.
 * On AMD's Zen 4 a 16-bit form of the kernel (products summed in 16-bit lanes) ran at 64 against
 * 86 G products per second (2026-12-05); this one has not run there, where it would save no
 * multiply cost and still pay its wider read-out. Hence {@code auto}: {@code INT16} on Intel processors,
 * {@code INT32} elsewhere. The system property {@value #PROPERTY} ({@code auto}, {@code int32} or
 * {@code int16}) overrides it; an unknown value is logged and ignored.
 *
 * <p>Batches of the formats {@link FloatBatches} puts on floats do not multiply pairs at all.
 * Only the batch layout of {@link QuantizedActivations}, the batch panel and where Q6_K starts
 * batching ({@code Q6_KMatrix.batchFrom}) depend on it; the kernels for a few vectors
 * ({@link InterleavedMatrix#gemv}) always multiply in 32 bits (a 16-bit {@code Q4_KMatrix.gemvOne}
 * ran 1.5 times slower).
 */
public enum PairProducts {
    INT32,
    INT16;

    /** The system property that overrides the choice: {@code auto} (the default), {@code int32} or {@code int16}. */
    public static final String PROPERTY = "chelsea.batch-products";

    private static final System.Logger LOG = System.getLogger(PairProducts.class.getName());

    /** The processor's {@link #cpuVendor}, read once: this choice and {@code InterleavedMatrix.READ_AHEAD} depend on it. */
    static final String CPU_VENDOR = cpuVendor();
    /** This JVM's choice: read once, so that the kernels' tests on it fold into constants. */
    static final PairProducts BATCH = fromProperty();
    /**
     * Whether {@link #BATCH} is {@link #INT16}: a constant, so that C2 keeps one branch of every
     * test on it. Kept here, not in the classes that test it: {@code QuantizedPanelMatMul} and
     * {@code InterleavedMatrix} initialize each other, and a constant one of them took from the
     * other could be read before it was set.
     */
    static final boolean SHORTS = BATCH == INT16;

    /** The form the batch kernel uses in this JVM. */
    public static PairProducts batch() {
        return BATCH;
    }

    /** {@code int32} or {@code int16}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Pairs one accumulator sums for a format whose {@link #INT32} accumulator holds
     * {@code int32Pairs}: the high half of an int32 accumulator sums both products of each pair,
     * a 16-bit half only one, so it may hold twice as many pairs, up to a block of activations
     * (16 pairs, one activation scale).
     */
    int unitPairs(int int32Pairs) {
        return this == INT16 ? Math.min(2 * int32Pairs, QuantizedActivations.BLOCK / 2) : int32Pairs;
    }

    /** The form named by {@code value} ({@code auto} picks by the processor's {@code vendor}). */
    static PairProducts choose(String value, String vendor) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "int32" -> INT32;
            case "int16" -> INT16;
            case "auto", "" -> "GenuineIntel".equals(vendor) ? INT16 : INT32;
            default -> throw new IllegalArgumentException(PROPERTY + " must be auto, int32 or int16, not '" + value + "'");
        };
    }

    private static PairProducts fromProperty() {
        String value = System.getProperty(PROPERTY, "auto");
        try {
            return choose(value, CPU_VENDOR);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; using auto");
            return choose("auto", CPU_VENDOR);
        }
    }

    /** The {@code vendor_id} of {@code /proc/cpuinfo}, or "" where there is none (not Linux, or not x86). */
    static String cpuVendor() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return "";
        }
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("vendor_id"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
