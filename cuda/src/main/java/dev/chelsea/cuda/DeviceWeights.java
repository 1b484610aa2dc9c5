package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelConfig;
import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.gguf.GgufTensorInfo;

/**
 * The model's tensors on the device, uploaded once in their GGUF block layout (no dequantized
 * copy), plus the small float vectors (norms, biases) and the RoPE frequencies in double.
 */
final class DeviceWeights implements AutoCloseable {
    /** A matrix on the device: its storage type picks the kernels. */
    record Matrix(DeviceBuffer data, GgmlType type, int rows, int cols) {
    }

    static final class Layer {
        Matrix wq, wk, wv, wo, gate, up, down;
        DeviceBuffer attnNorm, ffnNorm, qBias, kBias, vBias, qNorm, kNorm;
    }

    /** Where the tensors go: device memory, or fake addresses in tests that check launches without a GPU. */
    interface Uploader {
        DeviceBuffer bytes(java.lang.foreign.MemorySegment data, long size, String label);

        DeviceBuffer floats(float[] data, String label);

        DeviceBuffer doubles(double[] data, String label);
    }

    private final DeviceMemory memory;
    private final Uploader up;
    final Matrix tokenEmbedding;
    final Matrix output;
    final DeviceBuffer outputNorm;
    final DeviceBuffer invFreq;
    final Layer[] layers;

    /** Bytes the upload will take, to check against free memory before allocating anything. */
    static long bytesNeeded(ModelWeights w) {
        ModelConfig c = w.config;
        long b = w.tokenEmbedding.byteSize() + (w.output == w.tokenEmbedding ? 0 : w.output.byteSize());
        b += 4L * c.dim() + 8L * (c.ropeDim() / 2);
        for (ModelWeights.Layer l : w.layers) {
            for (GgufTensorInfo t : new GgufTensorInfo[]{l.wq, l.wk, l.wv, l.wo, l.gate, l.up, l.down}) {
                b += t.byteSize();
            }
            b += 4L * (2L * c.dim() + (l.qBias != null ? c.qDim() + 2L * c.kvDim() : 0) + (l.qNorm != null ? 2L * c.headDim() : 0));
        }
        return b;
    }

    /** Uploads the weights to the current context's device, after checking they fit. */
    DeviceWeights(ModelWeights w) {
        this(w, new DeviceMemory("the model's weights"));
    }

    private DeviceWeights(ModelWeights w, DeviceMemory memory) {
        this(w, memory, uploaderTo(memory));
    }

    /** Binds the weights to addresses from {@code uploader} (tests). */
    DeviceWeights(ModelWeights w, Uploader uploader) {
        this(w, null, uploader);
    }

    private static Uploader uploaderTo(DeviceMemory memory) {
        return new Uploader() {
            @Override
            public DeviceBuffer bytes(java.lang.foreign.MemorySegment data, long size, String label) {
                return memory.upload(data, size, label);
            }

            @Override
            public DeviceBuffer floats(float[] data, String label) {
                return memory.upload(data, label);
            }

            @Override
            public DeviceBuffer doubles(double[] data, String label) {
                return memory.upload(data, label);
            }
        };
    }

    private DeviceWeights(ModelWeights w, DeviceMemory memory, Uploader uploader) {
        this.memory = memory;
        this.up = uploader;
        try {
            if (memory != null) {
                DeviceMemory.checkFits(bytesNeeded(w), "the weights of " + w.file.path().getFileName());
            }
            tokenEmbedding = matrix(w.tokenEmbedding);
            output = w.output == w.tokenEmbedding ? tokenEmbedding : matrix(w.output);
            outputNorm = up.floats(w.outputNorm, "output_norm");
            invFreq = up.doubles(w.ropeInverseFrequencies(), "rope frequencies");
            layers = new Layer[w.layers.length];
            for (int i = 0; i < layers.length; i++) {
                ModelWeights.Layer s = w.layers[i];
                Layer l = new Layer();
                l.wq = matrix(s.wq);
                l.wk = matrix(s.wk);
                l.wv = matrix(s.wv);
                l.wo = matrix(s.wo);
                l.gate = matrix(s.gate);
                l.up = matrix(s.up);
                l.down = matrix(s.down);
                l.attnNorm = up.floats(s.attnNorm, "blk." + i + ".attn_norm");
                l.ffnNorm = up.floats(s.ffnNorm, "blk." + i + ".ffn_norm");
                l.qBias = s.qBias == null ? null : up.floats(s.qBias, "blk." + i + ".attn_q.bias");
                l.kBias = s.kBias == null ? null : up.floats(s.kBias, "blk." + i + ".attn_k.bias");
                l.vBias = s.vBias == null ? null : up.floats(s.vBias, "blk." + i + ".attn_v.bias");
                l.qNorm = s.qNorm == null ? null : up.floats(s.qNorm, "blk." + i + ".attn_q_norm");
                l.kNorm = s.kNorm == null ? null : up.floats(s.kNorm, "blk." + i + ".attn_k_norm");
                layers[i] = l;
            }
        } catch (RuntimeException e) {
            if (memory != null) {
                memory.close();
            }
            throw e;
        }
    }

    private Matrix matrix(GgufTensorInfo t) {
        return new Matrix(up.bytes(t.data(), t.byteSize(), t.name()), t.type(), t.rows(), t.cols());
    }

    long bytes() {
        return memory == null ? 0 : memory.bytes();
    }

    @Override
    public void close() {
        if (memory != null) {
            memory.close();
        }
    }
}
