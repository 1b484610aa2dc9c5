package dev.chelsea.cuda;

import dev.chelsea.engine.kv.ChunkedSoftMatching;
import dev.chelsea.engine.kv.KvLayerImage;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPlan;
import dev.chelsea.engine.kv.KvStore;
import dev.chelsea.engine.kv.KvStoreSpec;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

import static jcuda.driver.JCudaDriver.cuCtxGetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

/**
 * The CUDA backend's KV store: per layer, keys and values in f16 ({@code [kvHeads][capacity][headDim]},
 * half the bytes of the CPU's float32 and what the attention kernels read at memory speed), the
 * absolute position of each slot ({@code int [kvHeads][capacity]}), and for merging policies the
 * log of each slot's cluster size ({@code float [kvHeads][capacity]}, added to the logits).
 *
 * <p>The capacity is what the sequence can hold ({@code KvCache.capacity}): the context, or fewer
 * slots under a limit in bytes or when a compressing policy reads prompts in pieces.
 * Storage for the whole capacity is allocated up front, so its addresses never change and a
 * decode step captured as a CUDA graph stays valid for the life of the sequence. The slot counts
 * are the host's: the forward pass tells the kernels where to write ({@link #slotBase}) and records
 * what it appended ({@link #appended}).
 *
 * <p>Eviction ({@link KvPlan.Evict}: {@code streaming}) runs on the device: the moves of every
 * layer's plan ({@link KvPlan.Evict#runs}, the same the CPU store applies) are copied over in one
 * transfer and applied by {@code chelsea_kv_move}, one launch per layer, keys and values never
 * leaving the device.
 *
 * <p>Chelsea's merges ({@link KvPlan.Merge}) run on the device too, keys and values never copied to
 * the host: each pass of the plan is four launches per layer ({@code cluster.cu}: cosines and best
 * edges per chunk, the ranking across chunks when the policy asks for it, the size-weighted merge,
 * the order-keeping compaction), the same merges as {@code ChunkedSoftMatching} and
 * {@code CpuKvStore} make on the same keys. A slot's cluster size is not stored apart from its log
 * (the attention bias): the kernels read it back as {@code exp(logSize)}, exact below a million
 * tokens. Ordered keeps are not here yet: the backend refuses the policies that need them, with
 * the names of those that run (see {@link #supports}).
 */
final class CudaKvStore implements KvStore, DeviceKv {
    private final KvLayout layout;
    private final KvStoreSpec spec;
    private final int capacity;
    private final DeviceMemory memory;
    private final DeviceBuffer[] keys, values, positions, logSizes;
    private final int[] used;
    /** The context the store was allocated in (the backend's, current when it is created): a snapshot is used from other threads. */
    private final CUcontext context = new CUcontext();
    private CUstream stream;
    private Launcher launcher;
    private KernelCalls calls;
    /** The moves of a plan, on the device and staged in page-locked memory; grown when a plan needs more. */
    private DeviceMemory moveMemory;
    private DeviceBuffer moves;
    private PinnedBuffer movesPinned;
    /** Scratch of a merge pass: each source's best edge (cosine, destination), {@code [kvHeads][edgeStride]}; made on the first merge. */
    private DeviceMemory edgeMemory;
    private DeviceBuffer edgeScore, edgeDest;
    private final int edgeStride;

    CudaKvStore(KvLayout layout, KvStoreSpec spec, int capacity) {
        this.layout = layout;
        this.spec = spec;
        this.capacity = capacity;
        int l = layout.layers();
        cuCtxGetCurrent(context);
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
        // A pass has at most half of the region as sources, and the region fits the capacity.
        this.edgeStride = Math.max(1, capacity / 2);
    }

    /** Device bytes of a store of {@code capacity} slots per head. */
    static long bytesFor(KvLayout layout, KvStoreSpec spec, int capacity) {
        long perSlot = 2L * 2 * layout.headDim() + metaBytesPerSlot(spec);
        return perSlot * layout.kvHeads() * capacity * layout.layers();
    }

    /** The position, and the log size of a merging policy. */
    private static long metaBytesPerSlot(KvStoreSpec spec) {
        return 4 + (spec.sizes() ? 4 : 0);
    }

    /**
     * The stream of the sequence this store belongs to (copies and compaction run on it, in order
     * with its kernels), and what launches the compaction kernel there.
     */
    void bind(CUstream stream, Launcher launcher, KernelCalls calls) {
        this.stream = stream;
        this.launcher = launcher;
        this.calls = calls;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    /** Device bytes this store allocated for its slots (keys, values, positions, log sizes), scratch of plans aside. */
    long deviceBytes() {
        return memory.bytes();
    }

    /** The capacity: storage never grows (its addresses stay valid for captured graphs). */
    @Override
    public int maxSlots() {
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

    /** The log of each slot's cluster size, or null when the policy does not merge. */
    @Override
    public CUdeviceptr logSizes(int layer) {
        return logSizes[layer] == null ? null : logSizes[layer].ptr();
    }

    /** The log sizes when the policy adds them to the logits (its size bias may be off, for ablation). */
    @Override
    public CUdeviceptr sizeBias(int layer) {
        return spec.sizeBias() ? logSizes(layer) : null;
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

    /** Positions are read back from the device; eviction and merges run there (merges in a store made with sizes); ordered keeps do not yet. */
    @Override
    public boolean supports(Feature feature) {
        return feature == Feature.MERGE ? spec.sizes() : FEATURES.contains(feature);
    }

    /** What this backend's stores do (its {@code kvFeatures}). */
    static final Set<Feature> FEATURES = Collections.unmodifiableSet(EnumSet.of(Feature.POSITIONS, Feature.EVICT, Feature.MERGE));

    /**
     * The cluster size of each slot of one head ({@code [slots(layer)]}), read back from the device:
     * 1 for a token, the number of tokens a centroid stands for; null when the policy does not merge.
     */
    float[] sizes(int layer, int head) {
        if (logSizes[layer] == null) {
            return null;
        }
        float[] out = new float[used[layer]];
        if (out.length > 0) {
            cuMemcpyDtoHAsync(Pointer.to(out), logSizes[layer].at(4L * head * capacity), 4L * out.length, stream);
            cuStreamSynchronize(stream);
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.rint(Math.exp(out[i]));
        }
        return out;
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
        KvPlan.Layer[] layers = plan.layers();
        int heads = layout.kvHeads();
        int[][] runs = new int[layers.length][];
        int[] nRuns = new int[layers.length];
        long total = 0;
        for (int l = 0; l < layers.length; l++) {
            switch (layers[l]) {
                case null -> { }
                case KvPlan.Evict e -> {
                    int[][] perHead = new int[heads][];
                    for (int h = 0; h < heads; h++) {
                        perHead[h] = e.runs(h, used[l]);
                        nRuns[l] = Math.max(nRuns[l], perHead[h].length / 3);
                    }
                    // Heads with fewer runs are padded with empty ones (count 0).
                    runs[l] = new int[3 * heads * nRuns[l]];
                    for (int h = 0; h < heads; h++) {
                        System.arraycopy(perHead[h], 0, runs[l], 3 * h * nRuns[l], perHead[h].length);
                    }
                    total += runs[l].length;
                }
                case KvPlan.Merge m -> merge(l, m);
                case KvPlan.Keep k -> throw new UnsupportedOperationException("the CUDA KV store does not keep slots in order yet");
            }
        }
        if (total == 0) {
            return;
        }
        reserveMoves(total);
        IntBuffer staged = movesPinned.bytes.asIntBuffer();
        long[] offsets = new long[layers.length];
        int at = 0;
        for (int l = 0; l < layers.length; l++) {
            if (runs[l] != null) {
                offsets[l] = 4L * at;
                staged.put(at, runs[l]);
                at += runs[l].length;
            }
        }
        cuMemcpyHtoDAsync(moves.ptr(), movesPinned.pointer, 4L * total, stream);
        for (int l = 0; l < layers.length; l++) {
            if (runs[l] != null) {
                launcher.launch(calls.kvMove(this, l, moves.at(offsets[l]), nRuns[l]));
                used[l] = layers[l].slotsAfter(used[l]);
            }
        }
        // The staged moves must not be overwritten by the next plan before the copy ran.
        cuStreamSynchronize(stream);
    }

    /**
     * The passes of a Chelsea plan on one layer, every KV head at once: per pass the four launches
     * of {@code cluster.cu} on this store's stream, in order with its other work. Nothing comes back
     * to the host: how many slots merge is fixed by the plan.
     */
    private void merge(int layer, KvPlan.Merge plan) {
        if (logSizes[layer] == null) {
            throw new IllegalStateException("this KV store was not made to merge (its policy keeps no cluster sizes)");
        }
        int chunk = plan.chunk();
        if (chunk > KernelCalls.CLUSTER_MAX_CHUNK) {
            throw new IllegalArgumentException("the CUDA backend merges in chunks of at most " + KernelCalls.CLUSTER_MAX_CHUNK
                    + " slots, asked " + chunk);
        }
        int n = used[layer], from = plan.from(), count = plan.count();
        if (from < 0 || count < 0 || from + count > n) {
            throw new IllegalArgumentException("merge region [" + from + ", " + (from + count) + ") is outside the " + n + " slots of layer " + layer);
        }
        int sourcesPerChunk = chunk / 2;
        reserveEdges();
        for (ChunkedSoftMatching.Pass pass : plan.passes()) {
            int chunks = count / chunk;
            if (chunks != pass.chunks()) {
                throw new IllegalArgumentException("pass planned for " + pass.chunks() + " chunks, region of " + count
                        + " slots has " + chunks);
            }
            if (pass.perChunk() > sourcesPerChunk || pass.merges() > chunks * sourcesPerChunk) {
                throw new IllegalArgumentException("a pass merges at most " + sourcesPerChunk + " slots per chunk of " + chunk + ", asked " + pass);
            }
            if (chunks > 0) {
                launcher.launch(calls.clusterScore(this, layer, edgeScore.ptr(), edgeDest.ptr(), edgeStride, from, chunk, chunks, pass.perChunk()));
                if (pass.perChunk() < 0) {
                    launcher.launch(calls.clusterSelect(layout.kvHeads(), edgeScore.ptr(), edgeDest.ptr(), edgeStride,
                            chunks * sourcesPerChunk, pass.merges()));
                }
                launcher.launch(calls.clusterMerge(this, layer, edgeDest.ptr(), edgeStride, from, chunk, chunks));
                launcher.launch(calls.clusterCompact(this, layer, edgeDest.ptr(), edgeStride, from, count, n, chunk));
            }
            n -= pass.merges();
            count -= pass.merges();
        }
        used[layer] = n;
    }

    private void reserveEdges() {
        if (edgeMemory == null) {
            edgeMemory = new DeviceMemory("Chelsea merge edges");
            long bytes = 4L * layout.kvHeads() * edgeStride;
            edgeScore = edgeMemory.allocate(bytes, "edge scores");
            edgeDest = edgeMemory.allocate(bytes, "edge destinations");
        }
    }

    private void reserveMoves(long ints) {
        if (moves != null && moves.bytes() >= 4 * ints) {
            return;
        }
        long bytes = Math.max(4 * ints, 2 * (moves == null ? 4096 : moves.bytes()));
        releaseMoves();
        moveMemory = new DeviceMemory("KV compaction moves");
        moves = moveMemory.allocate(bytes, "moves");
        movesPinned = new PinnedBuffer(bytes);
    }

    private void releaseMoves() {
        if (moveMemory != null) {
            moveMemory.close();
            movesPinned.close();
            moveMemory = null;
            moves = null;
            movesPinned = null;
        }
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
        return new Footprint(kv, kv, slots * layout.kvHeads() * metaBytesPerSlot(spec));
    }

    @Override
    public long bytesPerToken() {
        return 2L * layout.layers() * layout.kvHeads() * layout.headDim() * 2;
    }

    /**
     * Copies device to device on this store's stream, or the target's when this one belongs to no
     * sequence (a snapshot): the copy is ordered with the kernels of the sequence that has one.
     */
    @Override
    public void copyTo(KvStore target) {
        if (!(target instanceof CudaKvStore t)) {
            throw new IllegalArgumentException("a CUDA KV store copies only into another CUDA store, not " + target.getClass().getSimpleName());
        }
        if (!t.layout.equals(layout)) {
            throw new IllegalArgumentException("layouts differ: " + layout + " and " + t.layout);
        }
        cuCtxSetCurrent(context);
        CUstream s = stream != null ? stream : t.stream;
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
                cuMemcpyDtoDAsync(t.keys[l].at(to), keys[l].at(from), 2L * n * d, s);
                cuMemcpyDtoDAsync(t.values[l].at(to), values[l].at(from), 2L * n * d, s);
                cuMemcpyDtoDAsync(t.positions[l].at(4L * h * t.capacity), positions[l].at(4L * h * capacity), 4L * n, s);
                if (t.logSizes[l] != null && logSizes[l] != null) {
                    cuMemcpyDtoDAsync(t.logSizes[l].at(4L * h * t.capacity), logSizes[l].at(4L * h * capacity), 4L * n, s);
                } else if (t.logSizes[l] != null && n > 0) {
                    cuMemsetD32Async(t.logSizes[l].at(4L * h * t.capacity), 0, n, s);
                }
            }
            t.used[l] = n;
        }
        cuStreamSynchronize(s);
    }

    /** A store of exactly the slots held (at least one, an allocation cannot be empty), filled by {@link #copyTo}. */
    @Override
    public KvStore snapshot() {
        cuCtxSetCurrent(context);
        int most = 1;
        for (int u : used) {
            most = Math.max(most, u);
        }
        CudaKvStore s = new CudaKvStore(layout, spec, most);
        try {
            copyTo(s);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /**
     * Keys and values widened from f16, sizes from their logs (they count tokens: whole numbers).
     * This store never compacts, so a layer has seen as many tokens as it holds slots. Host
     * copies are synchronous, after the work queued on this store's stream.
     */
    @Override
    public KvLayerImage exportLayer(int layer) {
        cuCtxSetCurrent(context);
        if (stream != null) {
            cuStreamSynchronize(stream);
        }
        int n = used[layer], d = layout.headDim(), heads = layout.kvHeads();
        int[][] pos = new int[heads][n];
        float[][] k = new float[heads][], v = new float[heads][];
        float[][] sizes = logSizes[layer] == null ? null : new float[heads][n];
        boolean merged = false;
        short[] half = new short[n * d];
        for (int h = 0; h < heads; h++) {
            k[h] = readHalves(keys[layer], 2L * h * capacity * d, half);
            v[h] = readHalves(values[layer], 2L * h * capacity * d, half);
            if (n > 0) {
                cuMemcpyDtoH(Pointer.to(pos[h]), positions[layer].at(4L * h * capacity), 4L * n);
                if (sizes != null) {
                    cuMemcpyDtoH(Pointer.to(sizes[h]), logSizes[layer].at(4L * h * capacity), 4L * n);
                    for (int i = 0; i < n; i++) {
                        sizes[h][i] = Math.round(Math.exp(sizes[h][i]));
                        merged |= sizes[h][i] != 1f;
                    }
                }
            }
        }
        return new KvLayerImage(n, n, merged, pos, k, v, sizes, null, 0, 0, null, null);
    }

    private static float[] readHalves(DeviceBuffer buffer, long offset, short[] half) {
        if (half.length > 0) {
            cuMemcpyDtoH(Pointer.to(half), buffer.at(offset), 2L * half.length);
        }
        float[] out = new float[half.length];
        for (int i = 0; i < half.length; i++) {
            out[i] = Float.float16ToFloat(half[i]);
        }
        return out;
    }

    /** Narrows keys and values to f16 (what the forward pass would have stored) and copies synchronously. */
    @Override
    public void importLayer(int layer, KvLayerImage image) {
        if (used[layer] != 0) {
            throw new IllegalArgumentException("layer " + layer + " of the target store already holds slots");
        }
        image.check(layout, spec);
        int n = image.slots(), d = layout.headDim();
        if (n > capacity) {
            throw new IllegalArgumentException("the store holds " + capacity + " slots, the image " + n);
        }
        cuCtxSetCurrent(context);
        short[] half = new short[n * d];
        float[] logs = new float[n];
        for (int h = 0; h < layout.kvHeads() && n > 0; h++) {
            writeHalves(image.keys()[h], keys[layer], 2L * h * capacity * d, half);
            writeHalves(image.values()[h], values[layer], 2L * h * capacity * d, half);
            cuMemcpyHtoD(positions[layer].at(4L * h * capacity), Pointer.to(image.positions()[h]), 4L * n);
            if (logSizes[layer] != null) {
                for (int i = 0; i < n; i++) {
                    logs[i] = (float) Math.log(image.sizes()[h][i]);
                }
                cuMemcpyHtoD(logSizes[layer].at(4L * h * capacity), Pointer.to(logs), 4L * n);
            }
        }
        used[layer] = n;
    }

    private static void writeHalves(float[] from, DeviceBuffer buffer, long offset, short[] half) {
        for (int i = 0; i < half.length; i++) {
            half[i] = Float.floatToFloat16(from[i]);
        }
        cuMemcpyHtoD(buffer.at(offset), Pointer.to(half), 2L * half.length);
    }

    @Override
    public void clear() {
        Arrays.fill(used, 0);
    }

    @Override
    public void close() {
        cuCtxSetCurrent(context);
        releaseMoves();
        if (edgeMemory != null) {
            edgeMemory.close();
        }
        memory.close();
    }
}
