package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.engine.model.Bytes;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * Allocations on the device with their sizes, freed together: the weights of a model or the
 * buffers of a sequence. Every allocation is checked against free memory first, so that a model or
 * context that does not fit is refused with the numbers instead of a bare out-of-memory code.
 * Must be used with the backend's context current on the calling thread.
 */
final class DeviceMemory implements AutoCloseable {
    /** Copies from mapped files go in pieces: a direct buffer view is limited to 2 GiB. */
    private static final long COPY_PIECE = 1L << 30;

    private final String owner;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private long bytes;

    DeviceMemory(String owner) {
        this.owner = owner;
    }

    /** Bytes free on the current context's device. */
    static long free() {
        long[] free = new long[1], total = new long[1];
        cuMemGetInfo(free, total);
        return free[0];
    }

    /** Fails with what is needed and free when {@code needed} bytes do not fit. */
    static void checkFits(long needed, String what) {
        long free = free();
        if (needed > free) {
            throw new ModelLoadException(ModelLoadException.Reason.BACKEND, what + " needs " + Bytes.human(needed) + " of device memory, " + Bytes.human(free) + " is free");
        }
    }

    DeviceBuffer allocate(long size, String label) {
        long n = Math.max(size, 4);
        checkFits(n, owner + " (" + label + ")");
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, n);
        DeviceBuffer b = new DeviceBuffer(p, n, label);
        buffers.add(b);
        bytes += n;
        return b;
    }

    /** Allocates and fills with the bytes of {@code data} (a mapped tensor), in pieces. */
    DeviceBuffer upload(MemorySegment data, long size, String label) {
        DeviceBuffer b = allocate(size, label);
        for (long off = 0; off < size; off += COPY_PIECE) {
            long n = Math.min(COPY_PIECE, size - off);
            cuMemcpyHtoD(b.at(off), Pointer.to(data.asSlice(off, n).asByteBuffer()), n);
        }
        return b;
    }

    DeviceBuffer upload(float[] data, String label) {
        DeviceBuffer b = allocate(4L * data.length, label);
        cuMemcpyHtoD(b.ptr(), Pointer.to(data), 4L * data.length);
        return b;
    }

    DeviceBuffer upload(double[] data, String label) {
        DeviceBuffer b = allocate(8L * data.length, label);
        cuMemcpyHtoD(b.ptr(), Pointer.to(data), 8L * data.length);
        return b;
    }

    /** Bytes held. */
    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        for (DeviceBuffer b : buffers) {
            cuMemFree(b.ptr());
        }
        buffers.clear();
        bytes = 0;
    }
}
