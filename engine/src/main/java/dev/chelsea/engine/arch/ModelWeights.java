package dev.chelsea.engine.arch;

import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.gguf.GgufTensorInfo;
import dev.chelsea.engine.tensor.TensorTypes;
import dev.chelsea.engine.tensor.UnsupportedTensorTypeException;
import dev.chelsea.engine.tensor.WeightMatrix;

/**
 * The tensors of a model, found by name and checked against the config: what every backend binds
 * or uploads. Matrices stay in the mapped file in their GGUF storage type; the small vectors
 * (norms, biases, RoPE factors) are read once into float arrays, which every backend uses as they are.
 */
public final class ModelWeights {
    public final GgufFile file;
    public final ModelConfig config;
    public final GgufTensorInfo tokenEmbedding;
    /** The output projection: the token embedding itself when the model ties them. */
    public final GgufTensorInfo output;
    public final float[] outputNorm;
    /** Llama 3.1 RoPE frequency factors ({@code rope_freqs.weight}), or null. */
    public final float[] ropeFactors;
    public final Layer[] layers;

    /** One transformer block. Biases and Q/K norms are null unless the architecture has them. */
    public static final class Layer {
        public GgufTensorInfo wq, wk, wv, wo, gate, up, down;
        public float[] attnNorm, ffnNorm, qBias, kBias, vBias, qNorm, kNorm;
    }

    public ModelWeights(GgufFile file, ModelConfig c) {
        this.file = file;
        this.config = c;
        tokenEmbedding = matrix(file, "token_embd.weight", c.vocabSize(), c.dim());
        output = file.tensor("output.weight") == null ? tokenEmbedding : matrix(file, "output.weight", c.vocabSize(), c.dim());
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

    /**
     * Rotary frequencies of the {@code ropeDim / 2} pairs: {@code theta^(-2i/ropeDim) / scale},
     * divided by the Llama 3.1 factors when the file has them. In double: positions reach 10^5.
     */
    public double[] ropeInverseFrequencies() {
        ModelConfig c = config;
        int half = c.ropeDim() / 2;
        double[] invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            double f = Math.pow(c.ropeTheta(), -2.0 * i / c.ropeDim()) / c.ropeScale();
            invFreq[i] = ropeFactors == null ? f : f / ropeFactors[i];
        }
        return invFreq;
    }

    /** Bytes of every tensor in the file. */
    public long bytes() {
        long b = 0;
        for (GgufTensorInfo t : file.tensors().values()) {
            b += t.byteSize();
        }
        return b;
    }

    private static GgufTensorInfo matrix(GgufFile file, String name, int rows, int cols) {
        GgufTensorInfo t = file.requireTensor(name);
        if (t.shape().length != 2 || t.rows() != rows || t.cols() != cols) {
            throw new ModelLoadException(file.path(), "tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected [" + cols + ", " + rows + "]");
        }
        if (!TensorTypes.SUPPORTED.contains(t.type())) {
            throw new UnsupportedTensorTypeException(name, t.type());
        }
        if (cols % t.type().blockSize != 0) {
            throw new ModelLoadException(file.path(), "tensor '" + name + "' (" + t.type() + ") has rows of " + cols
                    + " values, not whole blocks of " + t.type().blockSize);
        }
        return t;
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
