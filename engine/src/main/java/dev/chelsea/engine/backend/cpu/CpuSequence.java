package dev.chelsea.engine.backend.cpu;

import dev.chelsea.engine.backend.Sequence;
import dev.chelsea.engine.kv.HostKvStore;
import dev.chelsea.engine.kv.KvCache;

/** A sequence on the CPU: its KV cache in heap arrays and the activations of its forward steps. */
final class CpuSequence implements Sequence {
    final CpuBackend owner;
    final KvCache<HostKvStore> cache;
    final Transformer.Scratch scratch;
    /**
     * The logits of a greedy step, which only its argmax leaves: one array per sequence, made on the
     * first such step. A fresh array per token (513 KB for a 128K vocabulary) was fresh memory every
     * step, and the page faults and zeroing took about a tenth of the caller thread's time in a
     * Q4_K_M decode (perf, AMD EPYC, 2026-12-05).
     */
    float[] argmaxLogits;

    CpuSequence(CpuBackend owner, KvCache<HostKvStore> cache, Transformer.Scratch scratch) {
        this.owner = owner;
        this.cache = cache;
        this.scratch = scratch;
    }

    @Override
    public KvCache<HostKvStore> cache() {
        return cache;
    }

    @Override
    public int maxBatch() {
        return scratch.batch;
    }

    @Override
    public void close() {
        cache.close();
    }
}
