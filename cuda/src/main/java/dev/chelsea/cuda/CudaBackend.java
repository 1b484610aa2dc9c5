package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelConfig;
import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.backend.Backend;
import dev.chelsea.engine.backend.BackendOptions;
import dev.chelsea.engine.backend.BackendType;
import dev.chelsea.engine.backend.Sequence;
import dev.chelsea.engine.backend.SequenceStep;
import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPolicies;
import dev.chelsea.engine.kv.KvPolicy;
import dev.chelsea.engine.kv.KvStore;
import dev.chelsea.engine.kv.KvStoreSpec;
import dev.chelsea.engine.kv.KvType;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;

/**
 * A model on an NVIDIA GPU: its weights uploaded once in their GGUF layout, our kernels loaded
 * into the device's primary context, and the forward pass ({@link CudaForward}) that launches them
 * on each sequence's own stream (decode steps replay a captured CUDA graph). One small copy to the
 * device per step (token ids, positions, slot bases) and one back (the argmax, or the logits asked
 * for).
 */
final class CudaBackend implements Backend {
    /** Prompt tokens per forward step: larger batches keep the tensor cores busy (a CPU step takes 128). */
    static final int PREFILL_BATCH = 512;
    /**
     * The system property that overrides {@link #PREFILL_BATCH} (1 to 4096): the emulated GPU tests
     * take small batches, so that short prompts span several.
     */
    static final String PREFILL_BATCH_PROPERTY = "chelsea.cuda.prefill-batch";

    private final CudaDriver.Device device;
    private final CUdevice cuDevice = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final ModelConfig config;
    private final DeviceWeights weights;
    private final KernelModule kernels;
    private final CudaForward forward;
    private final int prefillBatch = prefillBatch();

    private CudaBackend(CudaDriver.Device device, ModelWeights model) {
        this.device = device;
        this.config = model.config;
        cuDeviceGet(cuDevice, device.index());
        cuDevicePrimaryCtxRetain(context, cuDevice);
        DeviceWeights w = null;
        KernelModule k = null;
        try {
            cuCtxSetCurrent(context);
            k = new KernelModule(device.computeCapability(), KernelCalls.kernelsFor(model));
            w = new DeviceWeights(model);
        } catch (RuntimeException e) {
            if (w != null) {
                w.close();
            }
            if (k != null) {
                k.close();
            }
            cuDevicePrimaryCtxRelease(cuDevice);
            throw e;
        }
        this.kernels = k;
        this.weights = w;
        this.forward = new CudaForward(config, weights, device);
    }

    static CudaBackend load(ModelWeights model, CudaDriver.Device device, BackendOptions options) {
        try {
            return new CudaBackend(device, model);
        } catch (ModelLoadException e) {
            throw new ModelLoadException(e.reason(), model.file.path(), e.getMessage());
        } catch (RuntimeException e) {
            throw new ModelLoadException(ModelLoadException.Reason.BACKEND, model.file.path(),
                    "loading on " + device.describe() + " failed: " + e.getMessage());
        }
    }

    ModelConfig config() {
        return config;
    }

    /** Makes this backend's context current on the calling thread (every entry point does). */
    void makeCurrent() {
        cuCtxSetCurrent(context);
    }

    @Override
    public BackendType type() {
        return BackendType.CUDA;
    }

    @Override
    public String description() {
        return device.describe() + ", kernels from " + kernels.source();
    }

    @Override
    public int maxBatch() {
        return prefillBatch;
    }

    private static int prefillBatch() {
        String p = System.getProperty(PREFILL_BATCH_PROPERTY);
        if (p == null) {
            return PREFILL_BATCH;
        }
        try {
            int b = Integer.parseInt(p.trim());
            if (b >= 1 && b <= 4096) {
                return b;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + PREFILL_BATCH_PROPERTY + " must be an integer from 1 to 4096, got '" + p + "'");
    }

    @Override
    public Sequence newSequence(KvCacheConfig kv, int maxTokens, int maxBatch, UnaryOperator<KvStore> wrapStore) {
        if (wrapStore != null) {
            throw new UnsupportedOperationException("the CUDA backend's KV store cannot be wrapped (probes read it on the host: use the CPU backend)");
        }
        makeCurrent();
        KvLayout layout = new KvLayout(config.layers(), config.kvHeads(), config.headDim());
        KvPolicy policy = KvPolicies.create(kv, layout.layers(), spec -> kvBytesPerSlot(spec, kv.kvType()));
        // Only what the sequence can hold: the context, or fewer slots under a limit in bytes or
        // with prompts read in compressed pieces (a compressing policy otherwise reads a prompt whole).
        CudaKvStore store = new CudaKvStore(layout, policy.storeSpec(), KvCache.capacity(policy, kv, layout.layers(), maxTokens));
        KvCache<CudaKvStore> cache;
        try {
            cache = new KvCache<>(store, policy, maxTokens);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return new CudaSequence(this, cache, maxBatch, forward.partialFloats(maxTokens));
    }

    @Override
    public void forward(List<SequenceStep> steps) {
        makeCurrent();
        for (SequenceStep step : steps) {
            forward.step(own(step.sequence()), kernels, step);
        }
    }

    private CudaSequence own(Sequence sequence) {
        if (sequence instanceof CudaSequence s && s.owner == this) {
            return s;
        }
        throw new IllegalArgumentException("the sequence belongs to another model or backend");
    }

    /** Full caches, eviction ({@code streaming}) and Chelsea's merges; not the policies that read attention scores on the host. */
    @Override
    public Set<KvStore.Feature> kvFeatures() {
        return CudaKvStore.FEATURES;
    }

    /** Launches on a sequence's stream (its KV store's compaction). */
    Launcher launcher(CUstream stream) {
        return kernels.on(stream);
    }

    KernelCalls calls() {
        return forward.calls();
    }

    @Override
    public long kvBytesPerToken() {
        return 2L * config.layers() * config.kvDim() * 2;
    }

    /** Keys and values in f16 whatever the type asked for, the position, and the log size of a merging policy. */
    @Override
    public long kvBytesPerSlot(KvStoreSpec spec, KvType type) {
        return CudaKvStore.bytesFor(new KvLayout(config.layers(), config.kvHeads(), config.headDim()), spec, 1);
    }

    /** The store allocates its capacity ({@code contextTokens}, {@code KvCache.capacity}) up front, whatever the policy keeps. */
    @Override
    public long kvBytesFor(KvStoreSpec spec, KvType type, int contextTokens, int slots) {
        return CudaKvStore.bytesFor(new KvLayout(config.layers(), config.kvHeads(), config.headDim()), spec, contextTokens);
    }

    @Override
    public long scratchBytes(int maxBatch) {
        return CudaSequence.activationBytes(config, maxBatch, forward.partialFloats(Math.max(maxBatch, 1)));
    }

    @Override
    public long weightBytes() {
        return weights.bytes();
    }

    @Override
    public MemoryPool memory() {
        makeCurrent();
        return new MemoryPool("device memory", DeviceMemory.free());
    }

    @Override
    public void close() {
        makeCurrent();
        weights.close();
        kernels.close();
        cuDevicePrimaryCtxRelease(cuDevice);
    }
}
