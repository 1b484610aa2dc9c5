package dev.chelsea.engine.backend;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Which backend a model should load on: a given one, or the best one present ({@link #AUTO}). */
public enum BackendChoice {
    /** CUDA when the module is on the class path, {@code libcuda.so.1} loads and a device is present; otherwise the CPU. */
    AUTO(null),
    CPU(BackendType.CPU),
    CUDA(BackendType.CUDA);

    private final BackendType type;

    BackendChoice(BackendType type) {
        this.type = type;
    }

    /** The backend required, or null for {@link #AUTO}. */
    public BackendType required() {
        return type;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every accepted name, for messages: {@code auto, cpu, cuda}. */
    public static String names() {
        return Arrays.stream(values()).map(BackendChoice::id).collect(Collectors.joining(", "));
    }

    /** Parses a configuration or command-line value; fails with the accepted names. */
    public static BackendChoice parse(String s) {
        if (s != null) {
            for (BackendChoice c : values()) {
                if (c.id().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException("unknown backend '" + s + "' (known: " + names() + ")");
    }
}
