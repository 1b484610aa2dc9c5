package dev.chelsea.tools.synth;

import java.util.Set;

/**
 * The hyper-parameters of a transformer, as a real model's GGUF metadata states them.
 *
 * @param name            the shape's name, e.g. {@code llama-3.2-1b}
 * @param architecture    {@code llama}, {@code qwen2} (Q/K/V biases) or {@code qwen3} (Q/K RMS norms)
 * @param headDim         per-head size; {@code embeddingLength / headCount} except where the real model differs (Qwen3)
 * @param tiedEmbeddings  whether the output projection reuses {@code token_embd.weight} (no {@code output.weight})
 * @param ropeScaling     Llama 3.1-style rotary frequency scaling, written as {@code rope_freqs.weight}; null if none
 */
public record ModelShape(String name, String architecture, int embeddingLength, int blockCount, int headCount,
                         int headCountKv, int headDim, int feedForwardLength, int vocabSize, int contextLength,
                         float ropeFreqBase, float rmsNormEps, boolean tiedEmbeddings, RopeScaling ropeScaling) {

    public static final Set<String> ARCHITECTURES = Set.of("llama", "qwen2", "qwen3");

    /**
     * Llama 3.1's rope scaling ({@code rope_type: llama3}): low frequencies are divided by
     * {@code factor}, high ones kept, with a smooth ramp between the two wavelengths bounds.
     */
    public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {
        public RopeScaling {
            if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContextLength <= 0) {
                throw new IllegalArgumentException("invalid rope scaling " + factor + ", " + lowFreqFactor + ", "
                        + highFreqFactor + ", " + originalContextLength);
            }
        }

        /** The per-frequency divisors, one per rotated pair, as llama.cpp's converter computes them. */
        public float[] frequencyFactors(int headDim, float freqBase) {
            float[] factors = new float[headDim / 2];
            double lowFreqWavelen = originalContextLength / (double) lowFreqFactor;
            double highFreqWavelen = originalContextLength / (double) highFreqFactor;
            for (int i = 0; i < factors.length; i++) {
                double freq = 1.0 / Math.pow(freqBase, 2.0 * i / headDim);
                double wavelen = 2 * Math.PI / freq;
                if (wavelen < highFreqWavelen) {
                    factors[i] = 1f;
                } else if (wavelen > lowFreqWavelen) {
                    factors[i] = factor;
                } else {
                    double smooth = (originalContextLength / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    factors[i] = (float) (1 / ((1 - smooth) / factor + smooth));
                }
            }
            return factors;
        }
    }

    public ModelShape {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("shape name is empty");
        }
        if (!ARCHITECTURES.contains(architecture)) {
            throw new IllegalArgumentException("shape " + name + ": architecture '" + architecture + "' is not one of " + ARCHITECTURES);
        }
        if (embeddingLength <= 0 || blockCount <= 0 || headCount <= 0 || headCountKv <= 0 || headDim <= 0
                || feedForwardLength <= 0 || vocabSize <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("shape " + name + ": sizes must be positive");
        }
        if (headCount % headCountKv != 0) {
            throw new IllegalArgumentException("shape " + name + ": " + headCount + " heads cannot share " + headCountKv + " KV heads");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("shape " + name + ": head size " + headDim + " is odd; rotary embeddings rotate pairs");
        }
        if (!(ropeFreqBase > 0) || !(rmsNormEps > 0)) {
            throw new IllegalArgumentException("shape " + name + ": rope base and RMS epsilon must be positive");
        }
    }

    /** A copy with another vocabulary size (when the donor tokenizer is larger). */
    public ModelShape withVocabSize(int size) {
        return new ModelShape(name, architecture, embeddingLength, blockCount, headCount, headCountKv, headDim,
                feedForwardLength, size, contextLength, ropeFreqBase, rmsNormEps, tiedEmbeddings, ropeScaling);
    }

    /** Weights of the model, counted as the real model's parameter count (so {@code rope_freqs} is left out). */
    public long parameterCount() {
        long d = embeddingLength;
        long q = (long) headCount * headDim;
        long kv = (long) headCountKv * headDim;
        long perLayer = d * q + 2 * d * kv + q * d + 3 * d * feedForwardLength + 2 * d;
        if (architecture.equals("qwen2")) {
            perLayer += q + 2 * kv;
        }
        if (architecture.equals("qwen3")) {
            perLayer += 2L * headDim;
        }
        long embeddings = (long) vocabSize * d;
        return embeddings * (tiedEmbeddings ? 1 : 2) + perLayer * blockCount + d;
    }
}
