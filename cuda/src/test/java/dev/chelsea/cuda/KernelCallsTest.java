package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelConfig;
import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.testing.Shared;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every launch of the GPU forward pass, for every model in {@code ../shared}, checked against the
 * shipped PTX without a GPU: kernel names, argument lists, grids and shared memory. Device
 * addresses are stand-ins; nothing runs.
 */
class KernelCallsTest {
    /** An H200's multiprocessors, for the launch shapes. */
    private static final CudaDriver.Device H200 = new CudaDriver.Device(0, "NVIDIA H200", 90, 132, 141L << 30);

    private static DeviceBuffer fake(long bytes, String label) {
        return new DeviceBuffer(new CUdeviceptr(), bytes, label);
    }

    private static DeviceWeights fakeWeights(ModelWeights w) {
        return new DeviceWeights(w, new DeviceWeights.Uploader() {
            @Override
            public DeviceBuffer bytes(MemorySegment data, long size, String label) {
                return fake(size, label);
            }

            @Override
            public DeviceBuffer floats(float[] data, String label) {
                return fake(4L * data.length, label);
            }

            @Override
            public DeviceBuffer doubles(double[] data, String label) {
                return fake(8L * data.length, label);
            }
        });
    }

    private record FakeKv(KvLayout layout, int capacity, CUdeviceptr[] k, CUdeviceptr[] v, CUdeviceptr[] pos) implements DeviceKv {
        static FakeKv of(KvLayout layout, int capacity) {
            int l = layout.layers();
            CUdeviceptr[] k = new CUdeviceptr[l], v = new CUdeviceptr[l], p = new CUdeviceptr[l];
            for (int i = 0; i < l; i++) {
                k[i] = new CUdeviceptr();
                v[i] = new CUdeviceptr();
                p[i] = new CUdeviceptr();
            }
            return new FakeKv(layout, capacity, k, v, p);
        }

        @Override
        public CUdeviceptr keys(int layer) {
            return k[layer];
        }

        @Override
        public CUdeviceptr values(int layer) {
            return v[layer];
        }

        @Override
        public CUdeviceptr positions(int layer) {
            return pos[layer];
        }

        @Override
        public CUdeviceptr logSizes(int layer) {
            return null;
        }
    }

    private static StepBuffers fakeBuffers(ModelConfig c, int maxBatch) {
        long big = 1L << 40;
        return new StepBuffers(maxBatch, fake(big, "x"), fake(big, "xb"), fake(big, "att"), fake(big, "q"), fake(big, "k"), fake(big, "v"),
                fake(big, "hb"), fake(big, "hb2"), fake(big, "logits"), fake(4, "argmax"), fake(big, "partials"),
                fake(4L * StepBuffers.stepIntCount(maxBatch, c.layers()), "ints"));
    }

    static List<Path> models() throws IOException {
        try (Stream<Path> s = Files.list(Shared.resolve("models/synthetic"))) {
            return Stream.concat(Stream.of(Shared.stories()), s.filter(p -> p.toString().endsWith(".gguf")).sorted()).toList();
        }
    }

    @Test
    void everyLaunchOfEveryModelMatchesThePtx() throws IOException {
        List<Path> models = models();
        assertTrue(models.size() >= 15, "models found: " + models);
        for (Path p : models) {
            try (GgufFile file = GgufFile.open(p)) {
                ModelWeights mw = new ModelWeights(file, ModelConfig.read(file));
                ModelConfig c = mw.config;
                CudaForward forward = new CudaForward(c, fakeWeights(mw), H200);
                KvLayout layout = new KvLayout(c.layers(), c.kvHeads(), c.headDim());
                FakeKv kv = FakeKv.of(layout, 4096);
                StepBuffers b = fakeBuffers(c, CudaBackend.PREFILL_BATCH);

                RecordingLauncher decode = new RecordingLauncher();
                forward.decodeStep(b, kv, decode);
                // Per layer: norm, Q, K, V, rope, append, attention and its combine, O (adding into the
                // residual), norm, gate, up, SiLU, down (adding); biases and Q/K norms where the architecture has them.
                int perLayer = 14 + (c.architecture().qkvBias ? 3 : 0) + (c.architecture().qkNorm ? 2 : 0);
                assertEquals(1 + c.layers() * perLayer + 3, decode.launches.size(), p.getFileName() + " decode kernels");
                assertEquals(1, decode.countUsing(b.tokens()), "the embedding reads the token ids once");
                assertTrue(decode.launches.stream().noneMatch(l -> l.kernel().startsWith("chelsea_gemm")), "decode uses matrix-vector kernels");

                RecordingLauncher prefill = new RecordingLauncher();
                forward.layers(b, kv, prefill, 300);
                assertTrue(prefill.launches.stream().noneMatch(l -> l.kernel().startsWith("chelsea_matvec")), "prefill uses the GEMM kernels");
                forward.output(b, prefill, 299, 1, true);
                forward.output(b, prefill, 284, 16, false);
                assertTrue(prefill.launches.stream().anyMatch(l -> l.kernel().startsWith("chelsea_attn_prefill")));
                for (int l = 0; l < c.layers(); l++) {
                    assertEquals(2, prefill.countUsing(kv.keys(l)), "layer " + l + ": append and attention read the layer's keys");
                }
            }
        }
    }

    @Test
    void launchShapesForALlama32OneBShapedModel() {
        KernelCalls calls = new KernelCalls(H200.multiprocessors());
        DeviceWeights.Matrix output = new DeviceWeights.Matrix(fake(1, "output"), GgmlType.Q8_0, 128256, 2048);
        DeviceWeights.Matrix down = new DeviceWeights.Matrix(fake(1, "down"), GgmlType.Q4_K, 2048, 8192);
        RecordingLauncher r = new RecordingLauncher();
        Launch mv = calls.matmul(output, new CUdeviceptr(), new CUdeviceptr(), 1);
        r.launch(mv);
        assertEquals(132 * 8, mv.gridX(), "grid-stride blocks, a few per multiprocessor");
        assertEquals(2048 + 2048 / 32 * 8, mv.sharedBytes(), "x as int8 plus a scale and sum per 32");
        Launch mv2 = calls.matmul(down, new CUdeviceptr(), new CUdeviceptr(), 1);
        r.launch(mv2);
        assertEquals(256, mv2.gridX(), "2048 rows, 8 per block");
        Launch gemm = calls.matmul(down, new CUdeviceptr(), new CUdeviceptr(), 512);
        r.launch(gemm);
        assertEquals(8, gemm.gridX(), "512 tokens in tiles of 64");
        assertEquals(32, gemm.gridY(), "2048 rows in tiles of 64");
        assertEquals(256, calls.decodeSplits(8, 131072), "one split per 256 slots, at most 256");
        assertEquals(32, calls.decodeSplits(8, 8192));
        assertEquals(1, calls.decodeSplits(8, 200), "a short cache is one split");
        assertEquals("chelsea_attn_decode_hd64_g4", KernelCalls.attentionKernel("decode", 64, 4));
        assertEquals("chelsea_attn_prefill_hd128_g8", KernelCalls.attentionKernel("prefill", 128, 16));
    }
}
