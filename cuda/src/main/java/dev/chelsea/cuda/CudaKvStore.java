package dev.chelsea.cuda;

import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPlan;
import dev.chelsea.engine.kv.KvStore;
import dev.chelsea.engine.kv.KvStoreSpec;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

import java.util.Arrays;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

/**
 * The CUDA backend's KV store: per layer, keys and values in f16 ({@code [kvHeads][capacity][headDim]},
 * half the bytes of the CPU's float32 and what the attention kernels read at memory speed), the
 * absolute position of each slot ({@code int [kvHeads][capacity]}), and for merging policies the
 * log of each slot's cluster size ({@code float [kvHeads][capacity]}, added to the logits).
 *
 * <p>Storage for the whole capacity is allocated up front, so its addresses never change and a
 * decode step captured as a CUDA graph stays valid for the life of the sequence. The slot counts
 * are the host's: the forward pass tells the kernels where to write ({@link #slotBase}) and records
 * what it appended ({@link #appended}).
 *
 * <p>Compaction on the device (Chelsea's merges, eviction) is not here yet: this store runs the
 * full cache, and the backend refuses other policies with their names (see {@link #supports}).
 */
final class CudaKvStore implements KvStore, DeviceKv {
    private final KvLayout layout;
    private final KvStoreSpec spec;
    private final int capacity;
    private final DeviceMemory memory;
    private final DeviceBuffer[] keys, values, positions, logSizes;
    private final int[] used;
    private CUstream stream;

    CudaKvStore(KvLayout layout, KvStoreSpec spec, int capacity) {
        this.layout = layout;
        this.spec = spec;
        this.capacity = capacity;
        int l = layout.layers();
        this.memory = new DeviceMemory("a KV cache of " + capacity + " tokens");
        try {
            DeviceMemory.checkFits(bytesFor(layout, spec, capacity), "a KV cache of " + capacity + " tokens");
            keys = new DeviceBuffer[l];
            values = new DeviceBuffer[l];
            positions = new DeviceBuffer[l];
            logSizes = new DeviceBuffer[l];
            long halves = (long) layout.kvHeads() * capacity * layout.headDim();
            for (int i = 0; i < l; i++) {
                keys[i] = memory.allocate(2 * halves, "keys of layer " + i);
                values[i] = memory.allocate(2 * halves, "values of layer " + i);
                positions[i] = memory.allocate(4L * layout.kvHeads() * capacity, "positions of layer " + i);
                logSizes[i] = spec.sizes() ? memory.allocate(4L * layout.kvHeads() * capacity, "log sizes of layer " + i) : null;
            }
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
        this.used = new int[l];
    }

    /** Device bytes of a store of {@code capacity} slots per head. */
    static long bytesFor(KvLayout layout, KvStoreSpec spec, int capacity) {
        long perSlot = 2L * 2 * layout.headDim() + 4 + (spec.sizes() ? 4 : 0);
        return perSlot * layout.kvHeads() * capacity * layout.layers();
    }

    /** The stream of the sequence this store belongs to: copies run on it, in order with its kernels. */
    void bind(CUstream stream) {
        this.stream = stream;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public CUdeviceptr keys(int layer) {
        return keys[layer].ptr();
    }

    @Override
    public CUdeviceptr values(int layer) {
        return values[layer].ptr();
    }

    @Override
    public CUdeviceptr positions(int layer) {
        return positions[layer].ptr();
    }

    /** The log-size bias of a layer, or null (no bias) when the policy does not merge. */
    @Override
    public CUdeviceptr logSizes(int layer) {
        return logSizes[layer] == null ? null : logSizes[layer].ptr();
    }

    /** Where the next token of {@code layer} goes. */
    int slotBase(int layer) {
        return used[layer];
    }

    /** Records that the forward pass appended {@code n} slots to {@code layer}. */
    void appended(int layer, int n) {
        if (used[layer] + n > capacity) {
            throw new IllegalStateException("KV store of " + capacity + " slots cannot take " + n + " more after " + used[layer]);
        }
        used[layer] += n;
    }

    @Override
    public KvLayout layout() {
        return layout;
    }

    @Override
    public int slots(int layer) {
        return used[layer];
    }

    /** Positions are read back from the device; merges and eviction on the device arrive with Chelsea on the GPU. */
    @Override
    public boolean supports(Feature feature) {
        return feature == Feature.POSITIONS;
    }

    @Override
    public int[] positions(int layer, int head) {
        int[] out = new int[used[layer]];
        if (out.length > 0) {
            cuMemcpyDtoHAsync(Pointer.to(out), positions[layer].at(4L * head * capacity), 4L * out.length, stream);
            cuStreamSynchronize(stream);
        }
        return out;
    }

    @Override
    public void apply(KvPlan plan) {
        throw new UnsupportedOperationException("the CUDA KV store does not compact slots yet; run the 'full' policy on the GPU");
    }

    @Override
    public void setScoring(boolean on) {
        if (on) {
            throw new UnsupportedOperationException("the CUDA KV store does not accumulate attention scores");
        }
    }

    @Override
    public void setPromptPhase(boolean inPrompt) {
        // Storage is allocated for the whole capacity: nothing grows.
    }

    @Override
    public void trim() {
        // Nothing to release: the capacity is fixed (graph-captured addresses).
    }

    @Override
    public Footprint footprint() {
        long slots = 0;
        for (int u : used) {
            slots += u;
        }
        long kv = slots * layout.kvHeads() * layout.headDim() * 2;
        return new Footprint(kv, kv, slots * layout.kvHeads() * (4L + (spec.sizes() ? 4 : 0)));
    }

    @Override
    public long bytesPerToken() {
        return 2L * layout.layers() * layout.kvHeads() * layout.headDim() * 2;
    }

    @Override
    public void copyTo(KvStore target) {
        if (!(target instanceof CudaKvStore t)) {
            throw new IllegalArgumentException("a CUDA KV store copies only into another CUDA store, not " + target.getClass().getSimpleName());
        }
        if (!t.layout.equals(layout)) {
            throw new IllegalArgumentException("layouts differ: " + layout + " and " + t.layout);
        }
        int d = layout.headDim();
        for (int l = 0; l < layout.layers(); l++) {
            if (t.used[l] != 0) {
                throw new IllegalArgumentException("the target store already holds slots");
            }
            int n = used[l];
            if (n > t.capacity) {
                throw new IllegalArgumentException("the target store holds " + t.capacity + " slots, " + n + " to copy");
            }
            for (int h = 0; h < layout.kvHeads(); h++) {
                long from = 2L * h * capacity * d, to = 2L * h * t.capacity * d;
                cuMemcpyDtoDAsync(t.keys[l].at(to), keys[l].at(from), 2L * n * d, stream);
                cuMemcpyDtoDAsync(t.values[l].at(to), values[l].at(from), 2L * n * d, stream);
                cuMemcpyDtoDAsync(t.positions[l].at(4L * h * t.capacity), positions[l].at(4L * h * capacity), 4L * n, stream);
                if (t.logSizes[l] != null && logSizes[l] != null) {
                    cuMemcpyDtoDAsync(t.logSizes[l].at(4L * h * t.capacity), logSizes[l].at(4L * h * capacity), 4L * n, stream);
                } else if (t.logSizes[l] != null && n > 0) {
                    cuMemsetD32Async(t.logSizes[l].at(4L * h * t.capacity), 0, n, stream);
                }
            }
            t.used[l] = n;
        }
        cuStreamSynchronize(stream);
    }

    @Override
    public void clear() {
        Arrays.fill(used, 0);
    }

    @Override
    public void close() {
        memory.close();
    }
}
