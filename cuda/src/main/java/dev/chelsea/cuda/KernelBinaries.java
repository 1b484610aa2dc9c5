package dev.chelsea.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The compiled kernels shipped in this jar: one PTX file (JIT-compiled by the driver for any GPU
 * from compute capability 8.0 on) and an {@code sm_90} cubin (Hopper loads it without a JIT).
 * Both come from {@code src/main/cuda} through {@code build-kernels.sh}.
 */
final class KernelBinaries {
    static final String PTX = "/dev/chelsea/cuda/chelsea-kernels.ptx";
    static final String CUBIN_SM90 = "/dev/chelsea/cuda/chelsea-kernels.sm_90.cubin";
    /** The PTX ISA the kernels are written to: CUDA 12.0's, which drivers from the 525 series JIT. */
    static final String PTX_VERSION = "8.0";

    private KernelBinaries() {
    }

    static String ptxText() {
        return new String(read(PTX), StandardCharsets.UTF_8);
    }

    /** The PTX as the driver takes it: NUL-terminated. */
    static byte[] ptxImage() {
        byte[] b = read(PTX);
        return Arrays.copyOf(b, b.length + 1);
    }

    /** The cubin for a compute capability, or null if none is shipped for it. */
    static byte[] cubin(int computeCapability) {
        return computeCapability == 90 ? read(CUBIN_SM90) : null;
    }

    private static byte[] read(String resource) {
        try (InputStream in = KernelBinaries.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the kernel resource " + resource + " is missing from the chelsea-cuda jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
