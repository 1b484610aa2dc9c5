package dev.chelsea.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * The device addresses one forward step of a sequence works in (see {@link CudaSequence}, which
 * allocates them). {@code stepInts} holds {@code [maxBatch]} token ids, then {@code [maxBatch]}
 * positions, then one slot base per layer.
 */
record StepBuffers(int maxBatch, DeviceBuffer x, DeviceBuffer xb, DeviceBuffer att, DeviceBuffer q, DeviceBuffer k,
                   DeviceBuffer v, DeviceBuffer hb, DeviceBuffer hb2, DeviceBuffer logits, DeviceBuffer argmax,
                   DeviceBuffer partials, DeviceBuffer stepInts) {

    CUdeviceptr tokens() {
        return stepInts.ptr();
    }

    CUdeviceptr positions() {
        return stepInts.at(4L * maxBatch);
    }

    CUdeviceptr slotBase(int layer) {
        return stepInts.at(4L * (2 * maxBatch + layer));
    }

    /** Integers copied to the device every step. */
    static int stepIntCount(int maxBatch, int layers) {
        return 2 * maxBatch + layers;
    }
}
