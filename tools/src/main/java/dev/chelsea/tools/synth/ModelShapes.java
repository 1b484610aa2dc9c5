package dev.chelsea.tools.synth;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The shapes of real models, with the hyper-parameters their GGUF files carry (from each model's
 * Hugging Face {@code config.json}, as llama.cpp's converter writes them).
 */
public final class ModelShapes {
    private static final ModelShape.RopeScaling LLAMA_3_1 = new ModelShape.RopeScaling(8f, 1f, 4f, 8192);
    private static final ModelShape.RopeScaling LLAMA_3_2 = new ModelShape.RopeScaling(32f, 1f, 4f, 8192);

    private static final Map<String, ModelShape> SHAPES;

    static {
        LinkedHashMap<String, ModelShape> m = new LinkedHashMap<>();
        // name, arch, dim, layers, heads, kv heads, head dim, ffn, vocab, context, rope base, rms eps, tied, rope scaling
        add(m, new ModelShape("llama-3.2-1b", "llama", 2048, 16, 32, 8, 64, 8192, 128256, 131072, 500000f, 1e-5f, true, LLAMA_3_2));
        add(m, new ModelShape("llama-3.2-3b", "llama", 3072, 28, 24, 8, 128, 8192, 128256, 131072, 500000f, 1e-5f, true, LLAMA_3_2));
        add(m, new ModelShape("llama-3.1-8b", "llama", 4096, 32, 32, 8, 128, 14336, 128256, 131072, 500000f, 1e-5f, false, LLAMA_3_1));
        add(m, new ModelShape("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 64, 4864, 151936, 32768, 1000000f, 1e-6f, true, null));
        add(m, new ModelShape("qwen2.5-1.5b", "qwen2", 1536, 28, 12, 2, 128, 8960, 151936, 32768, 1000000f, 1e-6f, true, null));
        add(m, new ModelShape("qwen3-0.6b", "qwen3", 1024, 28, 16, 8, 128, 3072, 151936, 40960, 1000000f, 1e-6f, true, null));
        add(m, new ModelShape("smollm2-360m", "llama", 960, 32, 15, 5, 64, 2560, 49152, 8192, 100000f, 1e-5f, true, null));
        add(m, new ModelShape("smollm2-135m", "llama", 576, 30, 9, 3, 64, 1536, 49152, 8192, 100000f, 1e-5f, true, null));
        add(m, new ModelShape("tinyllama-1.1b", "llama", 2048, 22, 32, 4, 64, 5632, 32000, 2048, 10000f, 1e-5f, false, null));
        // Mistral 7B v0.1 (converted by llama.cpp as arch llama; its sliding window is not part of the GGUF)
        add(m, new ModelShape("mistral-7b", "llama", 4096, 32, 32, 8, 128, 14336, 32000, 32768, 10000f, 1e-5f, false, null));
        SHAPES = Collections.unmodifiableMap(m);
    }

    private ModelShapes() {
    }

    private static void add(Map<String, ModelShape> m, ModelShape s) {
        m.put(s.name(), s);
    }

    /** All shapes by name, in a stable order. */
    public static Map<String, ModelShape> all() {
        return SHAPES;
    }

    /** The named shape, or an exception listing the known names. */
    public static ModelShape byName(String name) {
        ModelShape s = name == null ? null : SHAPES.get(name.trim().toLowerCase(Locale.ROOT));
        if (s == null) {
            throw new IllegalArgumentException("unknown model shape '" + name + "'; known shapes: " + String.join(", ", SHAPES.keySet()));
        }
        return s;
    }
}
