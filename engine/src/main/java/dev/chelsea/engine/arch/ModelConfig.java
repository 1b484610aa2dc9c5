package dev.chelsea.engine.arch;

import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.gguf.GgufMetadata;
import dev.chelsea.engine.gguf.GgufTensorInfo;

/**
 * Hyper-parameters read from GGUF metadata ({@code <arch>.*} keys).
 *
 * @param contextLength  the context length the model was trained with
 * @param ropeScale      linear RoPE scaling factor (positions are divided by it); 1 = none
 */
public record ModelConfig(Architecture architecture, int dim, int layers, int heads, int kvHeads, int headDim,
                          int ffnDim, int vocabSize, int contextLength, float rmsEps, float ropeTheta, int ropeDim,
                          float ropeScale) {

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    public static ModelConfig read(GgufFile file) {
        GgufMetadata md = file.metadata();
        String archName = md.getString("general.architecture", null);
        if (archName == null) {
            throw new ModelLoadException(file.path(), "no general.architecture in the metadata: not a model file (a vocabulary-only file?)");
        }
        Architecture arch = Architecture.byName(archName);
        if (arch == null) {
            throw new ModelLoadException(file.path(), "unsupported architecture '" + archName + "' (supported: " + Architecture.supportedNames() + ")");
        }
        String p = archName + ".";
        int dim = positive(file, md, p + "embedding_length", md.getInt(p + "embedding_length"));
        int layers = positive(file, md, p + "block_count", md.getInt(p + "block_count"));
        int heads = positive(file, md, p + "attention.head_count", md.getInt(p + "attention.head_count"));
        int kvHeads = positive(file, md, p + "attention.head_count_kv", md.getInt(p + "attention.head_count_kv", heads));
        if (heads % kvHeads != 0) {
            throw new ModelLoadException(file.path(), heads + " attention heads cannot be grouped over " + kvHeads + " KV heads");
        }
        int headDim = positive(file, md, p + "attention.key_length", md.getInt(p + "attention.key_length", dim / heads));
        int valueDim = md.getInt(p + "attention.value_length", headDim);
        if (valueDim != headDim) {
            throw new ModelLoadException(file.path(), "key length " + headDim + " differs from value length " + valueDim + ", which is not supported");
        }
        int ffn = positive(file, md, p + "feed_forward_length", md.getInt(p + "feed_forward_length"));
        int ctx = positive(file, md, p + "context_length", md.getInt(p + "context_length", 2048));
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        float theta = md.getFloat(p + "rope.freq_base", 10000f);
        int ropeDim = md.getInt(p + "rope.dimension_count", headDim);
        if (ropeDim <= 0 || ropeDim > headDim || ropeDim % 2 != 0) {
            throw new ModelLoadException(file.path(), "rope.dimension_count " + ropeDim + " does not fit head size " + headDim);
        }
        float ropeScale = 1f;
        String scaling = md.getString(p + "rope.scaling.type", "none");
        switch (scaling) {
            case "none" -> { }
            case "linear" -> ropeScale = md.getFloat(p + "rope.scaling.factor", 1f);
            default -> {
                // Llama 3.1+ files say "llama3" here yet carry the scaling in rope_freqs.weight.
                if (!(scaling.equals("llama3") && file.tensor("rope_freqs.weight") != null)) {
                    throw new ModelLoadException(file.path(), "unsupported RoPE scaling '" + scaling + "' (supported: none, linear, llama3 with rope_freqs)");
                }
            }
        }
        GgufTensorInfo emb = file.requireTensor("token_embd.weight");
        if (emb.cols() != dim) {
            throw new ModelLoadException(file.path(), "token_embd.weight has rows of " + emb.cols() + " values, expected " + dim);
        }
        return new ModelConfig(arch, dim, layers, heads, kvHeads, headDim, ffn, emb.rows(), ctx, eps, theta, ropeDim, ropeScale);
    }

    private static int positive(GgufFile f, GgufMetadata md, String key, int v) {
        if (v <= 0) {
            throw new ModelLoadException(f.path(), "metadata " + key + " = " + v + " must be positive");
        }
        return v;
    }
}
