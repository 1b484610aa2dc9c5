package dev.chelsea.engine.model;

import dev.chelsea.engine.generate.GenerationStats;

/**
 * What running a model costs, computed before anything is allocated.
 *
 * @param weightBytes  mapped weights (page cache, not heap)
 * @param kvBytes      a full (uncompressed) KV cache for the whole context, per sequence
 * @param scratchBytes activations for one prefill batch, per sequence
 */
public record MemoryEstimate(long weightBytes, long kvBytes, long scratchBytes) {
    public long heapBytesPerSequence() {
        return kvBytes + scratchBytes;
    }

    @Override
    public String toString() {
        return "weights " + GenerationStats.humanBytes(weightBytes) + " (mapped), KV cache up to "
                + GenerationStats.humanBytes(kvBytes) + " and scratch " + GenerationStats.humanBytes(scratchBytes) + " per sequence";
    }
}
