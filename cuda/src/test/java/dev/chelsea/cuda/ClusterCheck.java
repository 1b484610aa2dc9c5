package dev.chelsea.cuda;

import dev.chelsea.engine.backend.cpu.CpuKvStore;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.ChunkedSoftMatching;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPlan;
import dev.chelsea.engine.kv.KvStoreSpec;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chelsea's merges on the device ({@code cluster.cu} through {@link CudaKvStore#apply}) against the
 * CPU store ({@code ChunkedSoftMatching} and {@code CpuKvStore}) on the same keys, values and sizes,
 * one pass at a time; and decode attention over a merged cache of identical entries against the
 * same cache before merging.
 */
final class ClusterCheck {
    private final CUdevice dev = new CUdevice();
    private final CUstream stream = new CUstream();
    private final KernelCalls calls;
    private final KernelModule module;
    private final int heads, kvHeads, headDim;

    private ClusterCheck(int heads, int kvHeads, int headDim) {
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        CudaDriver.Device d = CudaDriver.state().devices().getFirst();
        cuDeviceGet(dev, d.index());
        CUcontext ctx = new CUcontext();
        cuDevicePrimaryCtxRetain(ctx, dev);
        cuCtxSetCurrent(ctx);
        calls = new KernelCalls(d.multiprocessors());
        cuStreamCreate(stream, 0);
        List<String> names = new ArrayList<>(KernelCalls.CLUSTER_KERNELS);
        names.addAll(List.of("chelsea_kv_append", KernelCalls.attentionKernel("decode", headDim, heads / kvHeads), "chelsea_attn_combine"));
        module = new KernelModule(d.computeCapability(), names);
    }

    private void close() {
        module.close();
        cuStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(dev);
    }

    /**
     * A store of {@code slots} random keys and values (f16 values, so both stores start from the
     * same numbers), with planted exact duplicates (every seventh slot repeats the one two before,
     * so destinations and edge scores tie and the tie rules decide) and starting sizes 1 to 3; the
     * region between {@code sinks} and {@code window} brought down to {@code target} slots. After
     * every pass: the same slots kept (their positions), the same sizes (summing to the tokens),
     * keys and values within f16 rounding of the CPU's float32; then the device's keys and values
     * replace the CPU's, so that the next pass starts from the same keys too.
     */
    static int sameMergesAsTheCpu(int kvHeads, int headDim, int slots, int chunk, int sinks, int window, int target, boolean global) {
        ClusterCheck c = new ClusterCheck(kvHeads, kvHeads, headDim);
        try {
            return c.compareWithCpu(slots, chunk, sinks, window, target, global);
        } finally {
            c.close();
        }
    }

    private int compareWithCpu(int slots, int chunk, int sinks, int window, int target, boolean global) {
        SplittableRandom rnd = new SplittableRandom(31L * slots + chunk + (global ? 1 : 0));
        int row = kvHeads * headDim;
        float[] k = new float[slots * row], v = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) rnd.nextGaussian();
            v[i] = (float) rnd.nextGaussian();
        }
        for (int s = 2; s < slots; s++) {
            if (s % 7 == 3) {
                System.arraycopy(k, (s - 2) * row, k, s * row, row);
            }
        }
        float[][] sizes = new float[kvHeads][slots];
        for (int h = 0; h < kvHeads; h++) {
            for (int s = 0; s < slots; s++) {
                sizes[h][s] = 1 + rnd.nextInt(3);
            }
        }
        return compareWithCpu(k, v, sizes, chunk, sinks, window, target, global);
    }

    /**
     * The same check on given keys and values ({@code [slot][kvHeads * headDim]}, rounded to f16
     * here) of size 1: a model's own keys, with their near-duplicates and structure.
     */
    static int sameMergesAsTheCpu(int kvHeads, int headDim, float[] k, float[] v, int chunk, int sinks, int window, int target,
                                  boolean global) {
        ClusterCheck c = new ClusterCheck(kvHeads, kvHeads, headDim);
        try {
            int slots = k.length / (kvHeads * headDim);
            float[][] sizes = new float[kvHeads][slots];
            for (float[] s : sizes) {
                Arrays.fill(s, 1f);
            }
            return c.compareWithCpu(k, v, sizes, chunk, sinks, window, target, global);
        } finally {
            c.close();
        }
    }

    private int compareWithCpu(float[] keys, float[] vals, float[][] sizes, int chunk, int sinks, int window, int target, boolean global) {
        KvLayout layout = new KvLayout(1, kvHeads, headDim);
        KvStoreSpec spec = new KvStoreSpec(true, true, false, 0, 0);
        float[] k = CudaGpuTest.half(keys), v = CudaGpuTest.half(vals);
        int slots = k.length / (kvHeads * headDim);
        int merges = 0;
        try (Parallel parallel = new Parallel(1);
             DeviceMemory mem = new DeviceMemory("cluster check");
             CudaKvStore gpu = new CudaKvStore(layout, spec, slots)) {
            CpuKvStore cpu = new CpuKvStore(layout, spec, parallel);
            Launcher launch = module.on(stream);
            gpu.bind(stream, launch, calls);
            cpu.append(0, k, v, slots);
            upload(gpu, mem, k, v, slots);
            for (int h = 0; h < kvHeads; h++) {
                float[] logs = new float[slots];
                for (int s = 0; s < slots; s++) {
                    cpu.sizes(0, h)[s] = sizes[h][s];
                    cpu.logSizes(0, h)[s] = (float) Math.log(sizes[h][s]);
                    logs[s] = cpu.logSizes(0, h)[s];
                }
                cuMemcpyHtoD(gpu.logSizes(0).withByteOffset(4L * h * slots), Pointer.to(logs), 4L * slots);
            }
            int m = slots - sinks - window;
            List<ChunkedSoftMatching.Pass> passes = ChunkedSoftMatching.schedule(m, target - sinks - window, chunk, global);
            assertTrue(passes.size() >= 2, "the check wants several passes: " + passes);
            for (ChunkedSoftMatching.Pass pass : passes) {
                KvPlan plan = new KvPlan(new KvPlan.Layer[]{new KvPlan.Merge(sinks, m, chunk, List.of(pass))}, false);
                cpu.apply(plan);
                gpu.apply(plan);
                m -= pass.merges();
                merges += pass.merges();
                String when = "after " + merges + " merges (" + pass + ")";
                assertEquals(cpu.slots(0), gpu.slots(0), when);
                int n = cpu.slots(0);
                for (int h = 0; h < kvHeads; h++) {
                    assertArrayEquals(Arrays.copyOf(cpu.positions(0, h), n), gpu.positions(0, h), "slots kept in head " + h + " " + when);
                    float[] gs = gpu.sizes(0, h);
                    assertArrayEquals(Arrays.copyOf(cpu.sizes(0, h), n), gs, "sizes in head " + h + " " + when);
                    double sum = 0;
                    for (float s : gs) {
                        sum += s;
                    }
                    double headTokens = 0;
                    for (float s : sizes[h]) {
                        headTokens += s;
                    }
                    assertEquals(headTokens, sum, "sizes of head " + h + " sum to the tokens " + when);
                    float[] gk = download(gpu.keys(0).withByteOffset(2L * h * slots * headDim), n * headDim);
                    float[] gv = download(gpu.values(0).withByteOffset(2L * h * slots * headDim), n * headDim);
                    close(cpu.keys(0, h), gk, "keys of head " + h + " " + when);
                    close(cpu.values(0, h), gv, "values of head " + h + " " + when);
                    System.arraycopy(gk, 0, cpu.keys(0, h), 0, gk.length);
                    System.arraycopy(gv, 0, cpu.values(0, h), 0, gv.length);
                }
            }
        }
        return merges;
    }

    /** Within f16 rounding of the float32 result (half an f16 ulp, relative 2^-11, with room for the order of operations). */
    private static void close(float[] cpu, float[] gpu, String what) {
        for (int i = 0; i < gpu.length; i++) {
            double err = Math.abs(cpu[i] - gpu[i]);
            assertTrue(err <= 1e-3 * Math.abs(cpu[i]) + 1e-6, what + " element " + i + ": gpu " + gpu[i] + " cpu " + cpu[i]);
        }
    }

    private void upload(CudaKvStore store, DeviceMemory mem, float[] k, float[] v, int slots) {
        int[] positions = new int[slots];
        for (int i = 0; i < slots; i++) {
            positions[i] = i;
        }
        DeviceBuffer kd = mem.upload(k, "k"), vd = mem.upload(v, "v");
        DeviceBuffer pos = mem.allocate(4L * slots, "positions"), base = mem.allocate(4, "slot base");
        cuMemcpyHtoD(pos.ptr(), Pointer.to(positions), 4L * slots);
        cuMemcpyHtoD(base.ptr(), Pointer.to(new int[]{store.slotBase(0)}), 4);
        module.on(stream).launch(calls.kvAppend(kd.ptr(), vd.ptr(), store, 0, pos.ptr(), base.ptr(), slots));
        store.appended(0, slots);
        cuStreamSynchronize(stream);
    }

    private float[] download(jcuda.driver.CUdeviceptr p, int halves) {
        cuStreamSynchronize(stream);
        short[] h = new short[halves];
        cuMemcpyDtoH(Pointer.to(h), p, 2L * halves);
        float[] f = new float[halves];
        for (int i = 0; i < halves; i++) {
            f[i] = Float.float16ToFloat(h[i]);
        }
        return f;
    }

    /**
     * Decode attention over a cache whose compressible region holds one key and one value many
     * times (sinks and window random), before and after merging it down to {@code target} slots:
     * with the {@code log(size)} bias the output is the same up to float rounding (the bias stands
     * for exactly the weight of the merged copies), and without merging nothing would change either;
     * the check also asks that merges happened. Returns the largest difference relative to 1 + |out|.
     */
    static double identicalEntriesAttendAsUncompressed(int heads, int kvHeads, int headDim, int slots, int chunk, int sinks,
                                                       int window, int target) {
        ClusterCheck c = new ClusterCheck(heads, kvHeads, headDim);
        try {
            return c.attendBeforeAndAfter(slots, chunk, sinks, window, target);
        } finally {
            c.close();
        }
    }

    private double attendBeforeAndAfter(int slots, int chunk, int sinks, int window, int target) {
        KvLayout layout = new KvLayout(1, kvHeads, headDim);
        SplittableRandom rnd = new SplittableRandom(slots);
        int row = kvHeads * headDim;
        float[] k = new float[slots * row], v = new float[k.length], q = new float[heads * headDim];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) rnd.nextGaussian();
            v[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) rnd.nextGaussian();
        }
        for (int s = sinks + 1; s < slots - window; s++) {
            System.arraycopy(k, sinks * row, k, s * row, row);
            System.arraycopy(v, sinks * row, v, s * row, row);
        }
        try (DeviceMemory mem = new DeviceMemory("identical entries");
             CudaKvStore store = new CudaKvStore(layout, new KvStoreSpec(true, true, false, 0, 0), slots)) {
            store.bind(stream, module.on(stream), calls);
            upload(store, mem, k, v, slots);
            DeviceBuffer qd = mem.upload(q, "q");
            float[] before = attend(store, mem, qd);
            int m = slots - sinks - window;
            List<ChunkedSoftMatching.Pass> passes = ChunkedSoftMatching.schedule(m, target - sinks - window, chunk, false);
            store.apply(new KvPlan(new KvPlan.Layer[]{new KvPlan.Merge(sinks, m, chunk, passes)}, false));
            assertTrue(store.slots(0) < slots / 2, "merged down to " + store.slots(0) + " of " + slots);
            float[] after = attend(store, mem, qd);
            double worst = 0;
            for (int i = 0; i < before.length; i++) {
                worst = Math.max(worst, Math.abs(before[i] - after[i]) / (1 + Math.abs(before[i])));
            }
            return worst;
        }
    }

    private float[] attend(CudaKvStore store, DeviceMemory mem, DeviceBuffer q) {
        int n = store.slots(0);
        int splits = calls.decodeSplits(kvHeads, store.capacity());
        DeviceBuffer base = mem.allocate(4, "slot base"), out = mem.allocate(4L * heads * headDim, "out");
        DeviceBuffer partial = mem.allocate(4 * KernelCalls.partialFloats(heads, headDim, splits), "partials");
        // Decode reads *slotBase + 1 slots.
        cuMemcpyHtoD(base.ptr(), Pointer.to(new int[]{n - 1}), 4);
        Launcher launch = module.on(stream);
        launch.launch(calls.attentionDecode(q.ptr(), store, 0, base.ptr(), partial.ptr(), heads, splits));
        launch.launch(calls.attentionCombine(partial.ptr(), out.ptr(), heads, headDim, splits));
        cuStreamSynchronize(stream);
        float[] got = new float[heads * headDim];
        cuMemcpyDtoH(Pointer.to(got), out.ptr(), 4L * got.length);
        return got;
    }
}
