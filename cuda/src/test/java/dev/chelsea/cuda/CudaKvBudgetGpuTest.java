package dev.chelsea.cuda;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvPolicies;
import dev.chelsea.engine.kv.KvStoreSpec;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.model.Session;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A limit in bytes on one sequence's KV cache ({@code KvCacheConfig.maxBytes}) on the device: the
 * store allocates only the slots that fit, not the whole context, the KV held never goes over the
 * limit while a prompt longer than it is read (in compressed pieces) and decoded past, and the
 * logits follow the CPU engine's under the same number of slots (the CPU's limit is the same slots
 * at its own bytes per slot, so both compress at the same points).
 */
@Tag("gpu")
class CudaKvBudgetGpuTest {
    private static final int CONTEXT = 512;

    @BeforeAll
    static void needsAGpu() {
        GpuTests.requireDevice();
    }

    @AfterAll
    static void theEmulatedDriverHadNothingToReport() {
        GpuTests.requireNoDriverReports();
    }

    private static long perSlot(Model model, KvCacheConfig kv) {
        KvStoreSpec spec = KvPolicies.create(kv, model.config().layers()).storeSpec();
        return model.backend().kvBytesPerSlot(spec, kv.kvType());
    }

    @Test
    void chelseaUnderALimitInBytesAllocatesWhatFitsAndDecodesAsTheCpu() throws Exception {
        Path file = Shared.stories();
        int slots = GpuTests.size(120, 40);
        KvCacheConfig chelsea = KvCacheConfig.defaults().withChunkSize(8).withSinkTokens(4).withRecentWindow(8);
        try (Model cpu = Model.load(file, new ModelOptions(2, CONTEXT, BackendChoice.CPU));
             Model gpu = Model.load(file, new ModelOptions(2, CONTEXT, BackendChoice.CUDA))) {
            int vocab = cpu.config().vocabSize();
            int[] prompt = new int[GpuTests.size(300, 60)];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 1 + (i * 7919) % (vocab - 1);
            }
            long gpuLimit = slots * perSlot(gpu, chelsea), cpuLimit = slots * perSlot(cpu, chelsea);
            try (Session c = cpu.newSession(chelsea.withMaxBytes(cpuLimit)); Session g = gpu.newSession(chelsea.withMaxBytes(gpuLimit))) {
                CudaKvStore store = (CudaKvStore) g.cache().store();
                assertEquals(slots, store.capacity(), "the store holds the slots that fit");
                long wholeContext = CudaKvStore.bytesFor(store.layout(), KvPolicies.create(chelsea, 1).storeSpec(), CONTEXT);
                assertEquals(gpu.backend().kvBytesFor(KvPolicies.create(chelsea, 1).storeSpec(), chelsea.kvType(), slots, slots), store.deviceBytes(),
                        "admission control reserves what the store allocates");
                assertTrue(store.deviceBytes() <= gpuLimit && store.deviceBytes() < wholeContext,
                        "device bytes " + store.deviceBytes() + ", limit " + gpuLimit + ", whole context " + wholeContext);

                double tol = CudaGpuTest.relativeTolerance("stories260K"), wider = 3 * tol;
                double worst = CudaGpuTest.compare("prefill under max-bytes", c.prefill(prompt), g.prefill(prompt), vocab, wider);
                int next = prompt[prompt.length - 1];
                long differing = CudaGpuTest.differingPositions(c, g);
                for (int i = 0; i < GpuTests.size(40, 12); i++) {
                    float[] lc = c.decode(next);
                    worst = Math.max(worst, CudaGpuTest.compare("decode " + i + " under max-bytes", lc, g.decode(next), vocab, wider));
                    differing = Math.max(differing, CudaGpuTest.differingPositions(c, g));
                    next = Ops.argmax(lc, 0, vocab);
                }
                assertTrue(g.cache().stats().compressions() > 2, "the prompt was read in compressed pieces: " + g.cache().stats().compressions());
                assertTrue(g.cache().stats().peakBytes() <= gpuLimit, "peak " + g.cache().stats().peakBytes() + " B, limit " + gpuLimit);
                assertTrue(c.cache().stats().peakBytes() <= cpuLimit, "CPU peak " + c.cache().stats().peakBytes() + " B, limit " + cpuLimit);
                System.out.printf("chelsea under max-bytes %d: %d device bytes against %d for the context, peak %d B; worst relative logit"
                                + " error %.2e (tolerance %.0e), at most %d slots held another position than on the CPU%n",
                        gpuLimit, store.deviceBytes(), wholeContext, g.cache().stats().peakBytes(), worst, differing == 0 ? tol : wider, differing);
                assertTrue(differing > 0 || worst <= tol, "every merge agreed, yet the logits differ by " + worst);
            }
        }
    }
}
