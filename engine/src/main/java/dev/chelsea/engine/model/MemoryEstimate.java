package dev.chelsea.engine.model;

/**
 * What running a model costs, computed before anything is allocated.
 *
 * @param weightBytes  weights (mapped file on the CPU, device memory on a GPU)
 * @param kvBytes      a full (uncompressed) KV cache for the whole context, per sequence
 * @param scratchBytes activations for one prefill batch, per sequence
 * @param pool         where the KV cache and scratch live: {@code heap} or {@code device memory}
 */
public record MemoryEstimate(long weightBytes, long kvBytes, long scratchBytes, String pool) {
    public long bytesPerSequence() {
        return kvBytes + scratchBytes;
    }

    @Override
    public String toString() {
        return "weights " + Bytes.human(weightBytes) + ", KV cache up to " + Bytes.human(kvBytes) + " and scratch "
                + Bytes.human(scratchBytes) + " per sequence (" + pool + ")";
    }
}
