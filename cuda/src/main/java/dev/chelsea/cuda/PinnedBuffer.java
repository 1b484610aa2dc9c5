package dev.chelsea.cuda;

import jcuda.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;

/**
 * Page-locked host memory: copies from and to it run asynchronously on a sequence's stream, in
 * order with its kernels. (A copy from a Java array may return before the data reached the device,
 * and would then race with a kernel on a non-blocking stream.)
 */
final class PinnedBuffer implements AutoCloseable {
    final Pointer pointer = new Pointer();
    final ByteBuffer bytes;

    PinnedBuffer(long size) {
        cuMemHostAlloc(pointer, Math.max(size, 4), 0);
        bytes = pointer.getByteBuffer(0, Math.max(size, 4)).order(ByteOrder.nativeOrder());
    }

    @Override
    public void close() {
        cuMemFreeHost(pointer);
    }
}
