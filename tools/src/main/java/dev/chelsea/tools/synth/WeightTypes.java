package dev.chelsea.tools.synth;

import dev.chelsea.engine.gguf.GgmlType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which storage type each tensor of a synthetic model gets, following llama.cpp's quantizer.
 *
 * <ul>
 * <li>One-dimensional tensors (norms, biases, {@code rope_freqs}) are always F32.</li>
 * <li>A plain type ({@code f32} ... {@code q6_k}) applies to every matrix, as {@code llama-quantize --pure}.</li>
 * <li>{@code q4_k_m} and {@code q5_k_m} are llama.cpp's Q4_K_M and Q5_K_M recipes: Q4_K (Q5_K)
 *     everywhere except {@code output.weight} (or {@code token_embd.weight} when the embeddings
 *     are tied), which is Q6_K, and {@code attn_v} and {@code ffn_down} in the layers where
 *     llama.cpp's {@code use_more_bits} holds (the first and last eighth of the layers and every
 *     third layer between), also Q6_K. Checked against {@code llama-quantize} on a Llama-3.2-1B
 *     shaped file (see {@code docs/performance.md}).</li>
 * <li>K-quant rows must be a multiple of 256 values; where they are not (e.g. a 576-wide model),
 *     llama.cpp's fallbacks apply: Q4_K becomes Q5_0, Q5_K becomes Q5_1, Q6_K becomes Q8_0.</li>
 * </ul>
 *
 * @param name     as given on the command line, e.g. {@code q8_0}, {@code q4_k_m}
 * @param base     the type of ordinary matrices
 * @param kMix     whether the {@code _M} recipe's Q6_K tensors apply
 * @param fileType the {@code general.file_type} (llama.cpp's {@code llama_ftype}) to record
 */
public record WeightTypes(String name, GgmlType base, boolean kMix, int fileType) {
    private static final Map<String, WeightTypes> BY_NAME = new LinkedHashMap<>();

    static {
        for (WeightTypes t : List.of(
                new WeightTypes("f32", GgmlType.F32, false, 0),
                new WeightTypes("f16", GgmlType.F16, false, 1),
                new WeightTypes("bf16", GgmlType.BF16, false, 32),
                new WeightTypes("q8_0", GgmlType.Q8_0, false, 7),
                new WeightTypes("q4_0", GgmlType.Q4_0, false, 2),
                new WeightTypes("q4_1", GgmlType.Q4_1, false, 3),
                new WeightTypes("q5_0", GgmlType.Q5_0, false, 8),
                new WeightTypes("q4_k", GgmlType.Q4_K, false, 14),
                new WeightTypes("q5_k", GgmlType.Q5_K, false, 16),
                new WeightTypes("q6_k", GgmlType.Q6_K, false, 18),
                new WeightTypes("q4_k_m", GgmlType.Q4_K, true, 15),
                new WeightTypes("q5_k_m", GgmlType.Q5_K, true, 17))) {
            BY_NAME.put(t.name, t);
        }
    }

    /** The accepted names, in order. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    public static WeightTypes byName(String name) {
        WeightTypes t = name == null ? null : BY_NAME.get(name.trim().toLowerCase(Locale.ROOT));
        if (t == null) {
            throw new IllegalArgumentException("unknown weight type '" + name + "'; known types: " + String.join(", ", BY_NAME.keySet()));
        }
        return t;
    }

    /**
     * The type the recipe asks for, before the fallback for rows that do not fit K-quant blocks.
     *
     * @param kind   the tensor's role: {@code token_embd}, {@code output}, {@code attn_v}, {@code ffn_down}, ...
     * @param layer  its block index, or -1 outside the blocks
     */
    public GgmlType intendedType(String kind, int layer, int layerCount, boolean tiedEmbeddings) {
        if (kMix) {
            boolean outputLike = kind.equals("output") || (tiedEmbeddings && kind.equals("token_embd"));
            if (outputLike || ((kind.equals("attn_v") || kind.equals("ffn_down")) && useMoreBits(layer, layerCount))) {
                return GgmlType.Q6_K;
            }
        }
        return base;
    }

    /** The type a matrix with rows of {@code cols} values is stored in. */
    public GgmlType matrixType(String kind, int layer, int layerCount, long cols, boolean tiedEmbeddings) {
        return fitRows(intendedType(kind, layer, layerCount, tiedEmbeddings), cols);
    }

    /** llama.cpp's replacements for K-quants whose blocks do not divide the rows. */
    static GgmlType fitRows(GgmlType t, long cols) {
        if (cols % t.blockSize == 0) {
            return t;
        }
        return switch (t) {
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException("rows of " + cols + " values cannot be stored as " + t);
        };
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers, and every third in between. */
    static boolean useMoreBits(int layer, int layerCount) {
        return layer < layerCount / 8 || layer >= 7 * layerCount / 8 || (layer - layerCount / 8) % 3 == 2;
    }
}
