package dev.chelsea.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A block of device memory from {@link DeviceMemory}: its address and size. Freed by the owner of
 * the allocator's record; the address may be offset into for kernel arguments.
 */
record DeviceBuffer(CUdeviceptr ptr, long bytes, String label) {

    /** The address {@code offset} bytes in. */
    CUdeviceptr at(long offset) {
        if (offset < 0 || offset > bytes) {
            throw new IllegalArgumentException(label + ": offset " + offset + " outside " + bytes + " bytes");
        }
        return ptr.withByteOffset(offset);
    }
}
