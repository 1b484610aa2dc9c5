package dev.chelsea.engine.backend.cpu;

import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.tensor.WeightMatrix;

/** The model's matrices bound to the CPU kernels, in place in the mapped file. */
final class CpuWeights {
    final ModelWeights model;
    final WeightMatrix tokenEmbedding;
    final WeightMatrix output;
    final Layer[] layers;

    static final class Layer {
        final ModelWeights.Layer w;
        final WeightMatrix wo, down;
        /** The matrices that read the same input, for one fused product each. */
        final WeightMatrix[] qkv, gateUp;
        /** Keys and values alone: the last layer's product for tokens whose outputs nothing reads. */
        final WeightMatrix[] kv;

        Layer(ModelWeights.Layer w) {
            this.w = w;
            wo = WeightMatrix.of(w.wo);
            down = WeightMatrix.of(w.down);
            qkv = new WeightMatrix[]{WeightMatrix.of(w.wq), WeightMatrix.of(w.wk), WeightMatrix.of(w.wv)};
            gateUp = new WeightMatrix[]{WeightMatrix.of(w.gate), WeightMatrix.of(w.up)};
            kv = new WeightMatrix[]{qkv[1], qkv[2]};
        }
    }

    CpuWeights(ModelWeights model) {
        this.model = model;
        tokenEmbedding = WeightMatrix.of(model.tokenEmbedding);
        output = model.output == model.tokenEmbedding ? tokenEmbedding : WeightMatrix.of(model.output);
        layers = new Layer[model.layers.length];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Layer(model.layers[i]);
        }
    }
}
