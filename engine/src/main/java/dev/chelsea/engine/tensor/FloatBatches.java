package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which {@link InterleavedMatrix} formats multiply prompt batches on float activations
 * ({@link InterleavedFloatMatMul}) instead of 8-bit ones ({@link QuantizedPanelMatMul}), chosen
 * once per JVM.
 *
 * <p>The integer batch kernel does two products per 32-bit multiply, but reads its sums out after
 * every unit of pairs ({@link InterleavedMatrix#unitPairs}: 16 for 4-bit weights, 8 for 5-bit, 4
 * for 6-bit with {@link PairProducts#INT32}), and on AVX2's 16 registers it keeps its float sums on
 * the stack. The float kernel does one product per lane and FMA and never reads out. One core of an
 * AMD EPYC (Zen 3, AVX2, 8 float lanes, 2026-12-07), a 2048 x 2048 matrix of trained-like weights
 * times 128 vectors (a prompt batch), both paths alternating in one JVM, float time over integer
 * time (the integer path's time includes quantizing the activations, the float one's packing them):
 * Q6_K 0.70-0.80, Q5_K 0.90, Q5_0 0.97, Q4_1 1.03, Q4_K 1.07, Q4_0 1.16. The same on one core of
 * an AMD EPYC with AVX-512 (Zen 5, 16 float lanes, 2026-12-07; {@code MatMulBenchmarkMain} in
 * alternating JVMs, 2048 x 2048 x 128): Q6_K 6.70-6.98 against 8.53-8.55 ms (0.80x), Q5_K
 * 6.73-6.88 against 7.54-7.56 (0.90x), Q4_K 6.48-6.52 against 5.81-7.50, Q4_0 6.66-6.85 against
 * 5.71-6.15; whole 128-token Q4_K_M prefills with Q6_K and Q5_K on floats 0.85-0.91x the time
 * ({@code bin/engine-ab --order p}, the two choices as builds of one revision in one JVM), Q5_K_M
 * 0.97-0.98x. Hence {@code auto}: Q6_K and Q5_K on floats wherever the integer kernel multiplies
 * pairs in 32 bits ({@link PairProducts#INT32}) or vectors hold at most 8 floats; every format on
 * integers where 16-bit pair products ({@link PairProducts#INT16}, Intel's cores) meet 16 lanes
 * (AVX-512), unmeasured with this kernel: there each half reads out half as often and a 16-bit
 * multiply is one micro-operation. The system property {@value #PROPERTY} overrides it: {@code auto},
 * {@code none}, {@code all}, or a comma-separated list of formats ({@code Q6_K,Q5_K}); a value it
 * cannot read is logged and {@code auto} used.
 *
 * <p>Floats are also the more exact path: against a float64 product of the same weights, the
 * float kernel's relative error is about 3e-7 and the 8-bit activations' about 8e-3.
 */
public final class FloatBatches {
    /** The system property that overrides the choice. */
    static final String PROPERTY = "chelsea.float-batches";

    private static final System.Logger LOG = System.getLogger(FloatBatches.class.getName());

    /** The formats of {@link InterleavedMatrix}, which have both batch paths. */
    private static final Set<GgmlType> INTERLEAVED = EnumSet.of(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    /** The formats whose batches run on floats in this JVM. */
    private static final Set<GgmlType> TYPES = fromProperty();

    private FloatBatches() {
    }

    static boolean onFloats(GgmlType type) {
        return TYPES.contains(type);
    }

    /** The formats whose prompt batches run on floats in this JVM (for the backend's log line). */
    public static Set<GgmlType> types() {
        return Collections.unmodifiableSet(TYPES);
    }

    /** The formats named by {@code value} ({@code auto} picks by the vectors' {@code floatLanes} and the batch kernel's {@code products}). */
    static Set<GgmlType> choose(String value, int floatLanes, PairProducts products) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto", "":
                return floatLanes <= 8 || products == PairProducts.INT32 ? EnumSet.of(GgmlType.Q6_K, GgmlType.Q5_K) : EnumSet.noneOf(GgmlType.class);
            case "none":
                return EnumSet.noneOf(GgmlType.class);
            case "all":
                return EnumSet.copyOf(INTERLEAVED);
            default:
                Set<GgmlType> types = EnumSet.noneOf(GgmlType.class);
                for (String name : v.split(",")) {
                    GgmlType type = INTERLEAVED.stream().filter(t -> t.name().equalsIgnoreCase(name.trim())).findFirst()
                            .orElseThrow(() -> new IllegalArgumentException(PROPERTY + " must be auto, none, all or a list of "
                                    + INTERLEAVED + ", not '" + value + "'"));
                    types.add(type);
                }
                return types;
        }
    }

    private static Set<GgmlType> fromProperty() {
        String value = System.getProperty(PROPERTY, "auto");
        try {
            return choose(value, Simd.F_LANES, PairProducts.BATCH);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; using auto");
            return choose("auto", Simd.F_LANES, PairProducts.BATCH);
        }
    }
}
