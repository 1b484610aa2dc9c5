package dev.chelsea.engine.backend.cpu;

import dev.chelsea.engine.backend.Sequence;
import dev.chelsea.engine.kv.HostKvStore;
import dev.chelsea.engine.kv.KvCache;

/** A sequence on the CPU: its KV cache in heap arrays and the activations of its forward steps. */
final class CpuSequence implements Sequence {
    final CpuBackend owner;
    final KvCache<HostKvStore> cache;
    final Transformer.Scratch scratch;

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
