package dev.chelsea.engine.kv;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How a store keeps keys and values. {@link #F16} halves the bytes that decode attention reads,
 * which bounds a long-context step once the weights are read (issue 11); values beyond the half
 * range ({@code |x| > 65504}) do not occur in the caches of the supported models.
 */
public enum KvType {
    F32(Float.BYTES),
    F16(Short.BYTES);

    public final int bytes;

    KvType(int bytes) {
        this.bytes = bytes;
    }

    /** The setting's spelling: {@code f32} or {@code f16}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(KvType::label).toList();
    }

    public static KvType parse(String s) {
        for (KvType t : values()) {
            if (t.label().equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown KV type '" + s + "' (known: " + String.join(", ", names()) + ")");
    }
}
