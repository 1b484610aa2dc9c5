package dev.chelsea.quarkus.runtime;

import io.quarkus.runtime.configuration.ConfigurationException;

/**
 * The engine's kernels use the Vector API, an incubator module that the JVM loads only when asked.
 * Without it the first kernel class fails with a long {@code NoClassDefFoundError}; this says what
 * to do in one line instead, before any engine class is touched.
 */
public final class VectorApiCheck {
    public static final String MODULE = "jdk.incubator.vector";
    public static final String FIX = "Chelsea needs the Vector API: start the JVM with --add-modules " + MODULE
            + " (java --add-modules " + MODULE + " -jar target/quarkus-app/quarkus-run.jar)";

    private VectorApiCheck() {
    }

    /** Fails with {@link #FIX} when {@code layer} (the boot layer at run time) lacks the module. */
    public static void require(ModuleLayer layer) {
        if (layer.findModule(MODULE).isEmpty()) {
            throw new MissingVectorApiException();
        }
    }

    /**
     * The one-line failure: a configuration problem (of the JVM's), which Quarkus reports by its
     * message alone; no stack trace, since the fix is in the message.
     */
    public static final class MissingVectorApiException extends ConfigurationException {
        MissingVectorApiException() {
            super(FIX);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
