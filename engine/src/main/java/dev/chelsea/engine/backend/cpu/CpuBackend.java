package dev.chelsea.engine.backend.cpu;

import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.backend.Backend;
import dev.chelsea.engine.backend.BackendType;
import dev.chelsea.engine.backend.Sequence;
import dev.chelsea.engine.backend.SequenceStep;
import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.HostKvStore;
import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPolicies;
import dev.chelsea.engine.kv.KvPolicy;
import dev.chelsea.engine.kv.KvStore;
import dev.chelsea.engine.kv.KvStoreSpec;
import dev.chelsea.engine.kv.KvType;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The CPU backend: weights read in place from the mapped file by the Vector API kernels, the KV
 * cache in heap arrays ({@link CpuKvStore}), a pool of worker threads per model. Steps of several
 * sequences run one after another, each over all threads.
 */
public final class CpuBackend implements Backend {
    private final ModelWeights weights;
    private final Parallel parallel;
    private final Transformer transformer;
    CpuBackend(ModelWeights weights, int threads) {
        this.weights = weights;
        CpuWeights bound = new CpuWeights(weights);
        this.parallel = new Parallel(threads);
        this.transformer = new Transformer(bound, parallel);
    }

    @Override
    public BackendType type() {
        return BackendType.CPU;
    }

    @Override
    public String description() {
        return "CPU, " + parallel.threads() + (parallel.threads() == 1 ? " thread" : " threads");
    }

    public int threads() {
        return parallel.threads();
    }

    /** A KV cache on this backend's threads, for tests and tools that drive a cache without a model. */
    public static KvCache<CpuKvStore> newCache(KvCacheConfig config, KvLayout layout, int maxTokens, Parallel parallel) {
        KvPolicy policy = KvPolicies.create(config, layout.layers(), spec -> CpuKvStore.bytesPerSlot(layout, spec, config.kvType()));
        return new KvCache<>(newStore(layout, policy, config, maxTokens, parallel), policy, maxTokens);
    }

    /**
     * A store that never grows beyond what the sequence can hold: the context (a layer never holds
     * more slots than tokens), or the slots that fit in the policy's limit in bytes.
     */
    private static CpuKvStore newStore(KvLayout layout, KvPolicy policy, KvCacheConfig config, int maxTokens, Parallel parallel) {
        return new CpuKvStore(layout, policy.storeSpec(), config.kvType(), parallel, Math.min(maxTokens, policy.maxSlots()));
    }

    @Override
    public Sequence newSequence(KvCacheConfig kv, int maxTokens, int maxBatch, UnaryOperator<KvStore> wrapStore) {
        KvLayout layout = new KvLayout(weights.config.layers(), weights.config.kvHeads(), weights.config.headDim());
        KvPolicy policy = KvPolicies.create(kv, layout.layers(), spec -> kvBytesPerSlot(spec, kv.kvType()));
        HostKvStore store = newStore(layout, policy, kv, maxTokens, parallel);
        if (wrapStore != null) {
            KvStore wrapped = wrapStore.apply(store);
            if (!(wrapped instanceof HostKvStore host)) {
                throw new IllegalArgumentException("the CPU backend runs only host KV stores, the wrapper returned "
                        + wrapped.getClass().getSimpleName());
            }
            store = host;
        }
        return new CpuSequence(this, new KvCache<>(store, policy, maxTokens), transformer.newScratch(maxBatch));
    }

    @Override
    public void forward(List<SequenceStep> steps) {
        for (SequenceStep step : steps) {
            CpuSequence s = own(step.sequence());
            float[] logits = step.logits();
            int rows = step.logitRows();
            if (logits == null && step.argmax() != null) {
                if (s.argmaxLogits == null) {
                    s.argmaxLogits = new float[weights.config.vocabSize()];
                }
                logits = s.argmaxLogits;
                rows = 1;
            }
            transformer.forward(step.tokens(), step.offset(), step.count(), s.cache, s.scratch, logits, rows);
            if (step.argmax() != null) {
                step.argmax()[0] = Ops.argmax(logits, (rows - 1) * weights.config.vocabSize(), weights.config.vocabSize());
            }
        }
    }

    private CpuSequence own(Sequence sequence) {
        if (sequence instanceof CpuSequence s && s.owner == this) {
            return s;
        }
        throw new IllegalArgumentException("the sequence belongs to another model or backend");
    }

    /** Prompt tokens per forward step: beyond this the activations outgrow the L2 caches (measured in session 1). */
    @Override
    public int maxBatch() {
        return 128;
    }

    @Override
    public Set<KvStore.Feature> kvFeatures() {
        return EnumSet.allOf(KvStore.Feature.class);
    }

    /** For float32 keys and values, the larger of the two types a sequence may choose. */
    @Override
    public long kvBytesPerToken() {
        return 2L * weights.config.layers() * weights.config.kvDim() * Float.BYTES;
    }

    @Override
    public long kvBytesPerSlot(KvStoreSpec spec, KvType type) {
        return CpuKvStore.bytesPerSlot(layout(), spec, type);
    }

    /** The store grows as it fills, never beyond {@code contextTokens} slots. */
    @Override
    public long kvBytesFor(KvStoreSpec spec, KvType type, int contextTokens, int slots) {
        return CpuKvStore.bytesFor(layout(), spec, type, slots, weights.config.heads(), contextTokens);
    }

    private KvLayout layout() {
        return new KvLayout(weights.config.layers(), weights.config.kvHeads(), weights.config.headDim());
    }

    @Override
    public long scratchBytes(int maxBatch) {
        return transformer.scratchBytes(maxBatch) + 4L * weights.config.vocabSize() * 2;
    }

    @Override
    public long weightBytes() {
        return weights.bytes();
    }

    @Override
    public MemoryPool memory() {
        Runtime rt = Runtime.getRuntime();
        return new MemoryPool("heap", rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()));
    }

    @Override
    public void close() {
        parallel.close();
    }
}
