package dev.chelsea.engine.arch;

import java.util.Arrays;

/**
 * The architectures the forward pass runs, and what differs between them. Mistral, TinyLlama and
 * SmolLM files use {@code llama}.
 */
public enum Architecture {
    LLAMA("llama", false, false, false),
    QWEN2("qwen2", true, true, false),
    QWEN3("qwen3", true, false, true);

    /** The {@code general.architecture} value. */
    public final String ggufName;
    /** Rotary pairs (i, i + d/2) rather than adjacent pairs. */
    public final boolean neoxRope;
    /** Q, K and V projections carry biases. */
    public final boolean qkvBias;
    /** Per-head RMS norm on Q and K before the rotation. */
    public final boolean qkNorm;

    Architecture(String ggufName, boolean neoxRope, boolean qkvBias, boolean qkNorm) {
        this.ggufName = ggufName;
        this.neoxRope = neoxRope;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
    }

    public static String supportedNames() {
        return String.join(", ", Arrays.stream(values()).map(a -> a.ggufName).toList());
    }

    /** The architecture named in a file, or null. */
    public static Architecture byName(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        return null;
    }
}
