package dev.chelsea.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * The device addresses one forward step of a sequence works in (see {@link CudaSequence}, which
 * allocates them). {@code stepInts} holds {@code [maxBatch]} token ids, then {@code [maxBatch]}
 * positions, then one slot base per layer, then the slot before the first query the last layer
 * attends when it runs only the batch's last tokens ({@link #lastQueriesBase}).
 */
record StepBuffers(int maxBatch, DeviceBuffer x, DeviceBuffer xb, DeviceBuffer att, DeviceBuffer q, DeviceBuffer k,
                   DeviceBuffer v, DeviceBuffer hb, DeviceBuffer hb2, DeviceBuffer logits, DeviceBuffer argmax,
                   DeviceBuffer partials, DeviceBuffer stepInts) {

    CUdeviceptr tokens() {
        return stepInts.ptr();
    }

    CUdeviceptr positions() {
        return positions(0);
    }

    /** The positions of the batch's tokens from {@code from} on. */
    CUdeviceptr positions(int from) {
        return stepInts.at(4L * (maxBatch + from));
    }

    CUdeviceptr slotBase(int layer) {
        return stepInts.at(4L * (2 * maxBatch + layer));
    }

    /**
     * Where the last layer's attention of the batch's last tokens alone starts: its slot base plus
     * the tokens before them (index {@code layers} past the slot bases).
     */
    CUdeviceptr lastQueriesBase(int layers) {
        return stepInts.at(4L * (2 * maxBatch + layers));
    }

    /** Integers copied to the device every step. */
    static int stepIntCount(int maxBatch, int layers) {
        return 2 * maxBatch + layers + 1;
    }
}
