package dev.chelsea.cuda;

import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

import java.util.HashMap;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

/**
 * The kernels loaded into a context: the {@code sm_90} cubin on Hopper (no JIT), the PTX elsewhere
 * or when the driver refuses the cubin. Every kernel the forward pass uses is looked up at load, so
 * a missing one fails there with its name, not in the middle of a request.
 */
final class KernelModule implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KernelModule.class.getName());

    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final String source;

    KernelModule(int computeCapability, Iterable<String> kernels) {
        byte[] cubin = KernelBinaries.cubin(computeCapability);
        String from = null;
        if (cubin != null) {
            try {
                cuModuleLoadData(module, cubin);
                from = "sm_" + computeCapability + " cubin";
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.INFO, "the driver refused the sm_{0} cubin ({1}); JIT-compiling the PTX", computeCapability, e.getMessage());
            }
        }
        if (from == null) {
            cuModuleLoadData(module, KernelBinaries.ptxImage());
            from = "PTX " + KernelBinaries.PTX_VERSION + " (JIT)";
        }
        this.source = from;
        for (String name : kernels) {
            CUfunction f = new CUfunction();
            try {
                cuModuleGetFunction(f, module, name);
            } catch (RuntimeException e) {
                throw new IllegalStateException("kernel " + name + " is missing from the shipped " + from + ": " + e.getMessage(), e);
            }
            functions.put(name, f);
        }
    }

    /** What was loaded: {@code sm_90 cubin} or {@code PTX 8.0 (JIT)}. */
    String source() {
        return source;
    }

    /** A launcher that queues launches on {@code stream}. */
    Launcher on(CUstream stream) {
        return l -> {
            CUfunction f = functions.get(l.kernel());
            if (f == null) {
                throw new IllegalStateException("kernel " + l.kernel() + " was not looked up at load");
            }
            cuLaunchKernel(f, l.gridX(), l.gridY(), l.gridZ(), l.block(), 1, 1, l.sharedBytes(), stream, l.args().kernelParams(), null);
        };
    }

    @Override
    public void close() {
        cuModuleUnload(module);
    }
}
