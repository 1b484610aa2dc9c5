package dev.chelsea.engine.backend;

/** The kinds of device a model runs on. */
public enum BackendType {
    /** The host's cores, through the Java Vector API: always available. */
    CPU,
    /** An NVIDIA GPU through the CUDA driver API: needs the {@code chelsea-cuda} module, a driver and a device. */
    CUDA;

    /** The name used in configuration and on the command line. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
