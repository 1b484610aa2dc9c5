package dev.chelsea.cuda;

import jcuda.driver.CUdeviceptr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A launcher that checks each launch against the shipped PTX instead of running it: the kernel
 * exists, the arguments match its parameter list in number and type, and the launch is within
 * the limits of the device (block size, static grid dimensions, shared memory without an opt-in).
 */
final class RecordingLauncher implements Launcher {
    private static final Map<String, List<KernelArgs.Type>> PTX = PtxEntries.read(KernelBinaries.ptxText());
    /** Dynamic shared memory a kernel gets without {@code cuFuncSetAttribute}. */
    static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

    final List<Launch> launches = new ArrayList<>();

    @Override
    public void launch(Launch l) {
        List<KernelArgs.Type> params = PTX.get(l.kernel());
        assertNotNull(params, "kernel " + l.kernel() + " is not in the PTX");
        assertEquals(params, l.args().types(), "arguments of " + l.kernel());
        assertTrue(l.gridY() < 65536 && l.gridZ() < 65536, l.kernel() + ": grid " + l);
        assertTrue(l.sharedBytes() <= DEFAULT_SHARED_LIMIT, l.kernel() + " asks for " + l.sharedBytes() + " bytes of dynamic shared memory");
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i) == KernelArgs.Type.I32) {
                assertTrue((Integer) l.args().value(i) >= 0, l.kernel() + " argument " + i + " is negative");
            }
        }
        launches.add(l);
    }

    /** Launches whose pointer argument {@code index} is exactly {@code p}. */
    long countUsing(CUdeviceptr p) {
        return launches.stream().filter(l -> {
            for (int i = 0; i < l.args().types().size(); i++) {
                if (l.args().value(i) == p) {
                    return true;
                }
            }
            return false;
        }).count();
    }
}
