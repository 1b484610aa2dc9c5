package dev.chelsea.engine.model;

import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.gguf.GgufTensorInfo;
import dev.chelsea.engine.tensor.WeightMatrix;

/**
 * The tensors of a model bound to kernels, shapes checked against the config. Matrices stay in
 * the mapped file; the small vectors (norms, biases, RoPE factors) are copied to float arrays.
 */
final class Weights {
    final WeightMatrix tokenEmbedding;
    final WeightMatrix output;
    final float[] outputNorm;
    final float[] ropeFactors; // null unless the file has rope_freqs.weight
    final Layer[] layers;

    static final class Layer {
        WeightMatrix wq, wk, wv, wo, gate, up, down;
        /** The matrices that read the same input, for one fused product each. */
        WeightMatrix[] qkv, gateUp;
        float[] attnNorm, ffnNorm, qBias, kBias, vBias, qNorm, kNorm;
    }

    Weights(GgufFile file, ModelConfig c) {
        tokenEmbedding = matrix(file, "token_embd.weight", c.vocabSize(), c.dim());
        GgufTensorInfo out = file.tensor("output.weight");
        output = out == null ? tokenEmbedding : matrix(file, "output.weight", c.vocabSize(), c.dim());
        outputNorm = vector(file, "output_norm.weight", c.dim());
        ropeFactors = file.tensor("rope_freqs.weight") == null ? null : vector(file, "rope_freqs.weight", c.ropeDim() / 2);
        layers = new Layer[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String p = "blk." + i + ".";
            Layer l = new Layer();
            l.wq = matrix(file, p + "attn_q.weight", c.qDim(), c.dim());
            l.wk = matrix(file, p + "attn_k.weight", c.kvDim(), c.dim());
            l.wv = matrix(file, p + "attn_v.weight", c.kvDim(), c.dim());
            l.wo = matrix(file, p + "attn_output.weight", c.dim(), c.qDim());
            l.gate = matrix(file, p + "ffn_gate.weight", c.ffnDim(), c.dim());
            l.up = matrix(file, p + "ffn_up.weight", c.ffnDim(), c.dim());
            l.down = matrix(file, p + "ffn_down.weight", c.dim(), c.ffnDim());
            l.qkv = new WeightMatrix[]{l.wq, l.wk, l.wv};
            l.gateUp = new WeightMatrix[]{l.gate, l.up};
            l.attnNorm = vector(file, p + "attn_norm.weight", c.dim());
            l.ffnNorm = vector(file, p + "ffn_norm.weight", c.dim());
            if (c.architecture().qkvBias) {
                l.qBias = vector(file, p + "attn_q.bias", c.qDim());
                l.kBias = vector(file, p + "attn_k.bias", c.kvDim());
                l.vBias = vector(file, p + "attn_v.bias", c.kvDim());
            }
            if (c.architecture().qkNorm) {
                l.qNorm = vector(file, p + "attn_q_norm.weight", c.headDim());
                l.kNorm = vector(file, p + "attn_k_norm.weight", c.headDim());
            }
            layers[i] = l;
        }
    }

    private static WeightMatrix matrix(GgufFile file, String name, int rows, int cols) {
        GgufTensorInfo t = file.requireTensor(name);
        if (t.shape().length != 2 || t.rows() != rows || t.cols() != cols) {
            throw new ModelLoadException(file.path(), "tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected [" + cols + ", " + rows + "]");
        }
        return WeightMatrix.of(t);
    }

    private static float[] vector(GgufFile file, String name, int n) {
        GgufTensorInfo t = file.requireTensor(name);
        if (t.elements() != n) {
            throw new ModelLoadException(file.path(), "tensor '" + name + "' has " + t.elements() + " values, expected " + n);
        }
        float[] v = new float[n];
        WeightMatrix.of(t).dequantizeRow(0, v, 0);
        return v;
    }
}
