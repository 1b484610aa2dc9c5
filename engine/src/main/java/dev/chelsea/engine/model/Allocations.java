package dev.chelsea.engine.model;

import java.lang.management.ManagementFactory;

/**
 * The bytes all threads of this JVM have allocated so far, where the JVM can tell (HotSpot with the
 * {@code jdk.management} module); {@code -1} elsewhere (a runtime linked without that module, a
 * native image). Used to see whether compiled kernels allocate: the Vector API's Java fallback
 * allocates an array per operation, a compiled kernel nothing.
 */
final class Allocations {
    /** Null until first asked; false once the JVM could not tell. */
    private static volatile Boolean available;

    private Allocations() {
    }

    static long total() {
        if (Boolean.FALSE.equals(available)) {
            return -1;
        }
        long bytes;
        try {
            bytes = Meter.total();
        } catch (LinkageError | UnsupportedOperationException e) {
            bytes = -1;
        }
        available = bytes >= 0;
        return bytes;
    }

    /** Kept apart so that a runtime without {@code jdk.management} fails to link this class only, once. */
    private static final class Meter {
        static long total() {
            if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx
                    && mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled()) {
                return mx.getTotalThreadAllocatedBytes();
            }
            return -1;
        }
    }
}
