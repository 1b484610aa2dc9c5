package dev.chelsea.cuda;

import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvStoreSpec;
import dev.chelsea.engine.testing.ReferenceAttention;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decode attention on the device over a long cache of random keys and values, against float64
 * attention over the same (f16-rounded) entries: the kernels' own error, apart from the model's.
 */
final class AttentionCheck {
    private AttentionCheck() {
    }

    static void run(int slots, int headDim, int heads, int kvHeads, double tol) {
        CudaDriver.Device d = CudaDriver.state().devices().getFirst();
        CUdevice dev = new CUdevice();
        cuDeviceGet(dev, d.index());
        CUcontext ctx = new CUcontext();
        cuDevicePrimaryCtxRetain(ctx, dev);
        cuCtxSetCurrent(ctx);
        KernelCalls calls = new KernelCalls(d.multiprocessors());
        String decode = KernelCalls.attentionKernel("decode", headDim, heads / kvHeads);
        CUstream stream = new CUstream();
        cuStreamCreate(stream, 0);
        KvLayout layout = new KvLayout(1, kvHeads, headDim);
        try (KernelModule module = new KernelModule(d.computeCapability(), List.of("chelsea_kv_append", decode, "chelsea_attn_combine"));
             DeviceMemory mem = new DeviceMemory("attention check");
             CudaKvStore store = new CudaKvStore(layout, KvStoreSpec.appendOnly(), slots)) {
            store.bind(stream);
            SplittableRandom rnd = new SplittableRandom(slots);
            float[] k = new float[slots * kvHeads * headDim], v = new float[k.length], q = new float[heads * headDim];
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) rnd.nextGaussian();
                v[i] = (float) rnd.nextGaussian();
            }
            for (int i = 0; i < q.length; i++) {
                q[i] = (float) (2 * rnd.nextGaussian());
            }
            int[] positions = new int[slots];
            for (int i = 0; i < slots; i++) {
                positions[i] = i;
            }
            DeviceBuffer kd = mem.upload(k, "k"), vd = mem.upload(v, "v"), qd = mem.upload(q, "q");
            DeviceBuffer pos = mem.allocate(4L * slots, "positions"), base = mem.allocate(4, "slot base");
            cuMemcpyHtoD(pos.ptr(), Pointer.to(positions), 4L * slots);
            cuMemcpyHtoD(base.ptr(), Pointer.to(new int[]{0}), 4);
            Launcher launch = module.on(stream);
            launch.launch(calls.kvAppend(kd.ptr(), vd.ptr(), store, 0, pos.ptr(), base.ptr(), slots));
            // Decode reads *slotBase + 1 slots: the query is the last one's.
            cuMemcpyHtoD(base.ptr(), Pointer.to(new int[]{slots - 1}), 4);
            int splits = calls.decodeSplits(kvHeads, slots);
            DeviceBuffer partial = mem.allocate(4 * KernelCalls.partialFloats(heads, headDim, splits), "partials");
            DeviceBuffer out = mem.allocate(4L * heads * headDim, "out");
            launch.launch(calls.attentionDecode(qd.ptr(), store, 0, base.ptr(), partial.ptr(), heads, splits));
            launch.launch(calls.attentionCombine(partial.ptr(), out.ptr(), heads, headDim, splits));
            cuStreamSynchronize(stream);
            float[] got = new float[heads * headDim];
            cuMemcpyDtoH(Pointer.to(got), out.ptr(), 4L * got.length);
            float[] kh = CudaGpuTest.half(k), vh = CudaGpuTest.half(v);
            int group = heads / kvHeads;
            for (int h = 0; h < heads; h++) {
                int kv = h / group;
                float[] keys = new float[slots * headDim], values = new float[slots * headDim];
                for (int s = 0; s < slots; s++) {
                    System.arraycopy(kh, (s * kvHeads + kv) * headDim, keys, s * headDim, headDim);
                    System.arraycopy(vh, (s * kvHeads + kv) * headDim, values, s * headDim, headDim);
                }
                double[] ref = ReferenceAttention.output(q, h * headDim, keys, values, null, slots, headDim);
                for (int c = 0; c < headDim; c++) {
                    double err = Math.abs(got[h * headDim + c] - ref[c]);
                    assertTrue(err <= tol * (1 + Math.abs(ref[c])), slots + " slots, head " + h + " dim " + c + ": " + got[h * headDim + c] + " vs " + ref[c]);
                }
            }
        } finally {
            cuStreamDestroy(stream);
            cuDevicePrimaryCtxRelease(dev);
        }
    }
}
