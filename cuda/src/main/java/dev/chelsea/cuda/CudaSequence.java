package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelConfig;
import dev.chelsea.engine.backend.Sequence;
import dev.chelsea.engine.kv.KvCache;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;

/**
 * A sequence on the GPU: its KV store, its own stream, the activations of its forward steps, the
 * small buffer of per-step integers (token ids, positions, slot bases) that is the only thing
 * copied to the device per step, and the decode step captured as a CUDA graph once its addresses
 * are known. Nothing here is shared with other sequences, so sequences step concurrently.
 */
final class CudaSequence implements Sequence {
    final CudaBackend owner;
    final KvCache<CudaKvStore> cache;
    final CUstream stream = new CUstream();
    final DeviceMemory memory;
    final int maxBatch;
    /** Activations, logits and the step integers on the device. */
    final StepBuffers buffers;
    final int stepIntCount;
    /** Page-locked staging for the step integers, and for what comes back (the argmax, logits). */
    final PinnedBuffer stepPinned, outPinned;
    /** The decode step (one token) as a graph, captured on the first decode. */
    CUgraphExec decodeGraph;

    CudaSequence(CudaBackend owner, KvCache<CudaKvStore> cache, int maxBatch, long partialFloats) {
        this.owner = owner;
        this.cache = cache;
        this.maxBatch = maxBatch;
        ModelConfig c = owner.config();
        memory = new DeviceMemory("a sequence's activations");
        try {
            cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
            long b = maxBatch;
            stepIntCount = StepBuffers.stepIntCount(maxBatch, c.layers());
            buffers = new StepBuffers(maxBatch,
                    memory.allocate(4 * b * c.dim(), "x"),
                    memory.allocate(4 * b * c.dim(), "xb"),
                    memory.allocate(4 * b * c.qDim(), "attention output"),
                    memory.allocate(4 * b * c.qDim(), "queries"),
                    memory.allocate(4 * b * c.kvDim(), "keys"),
                    memory.allocate(4 * b * c.kvDim(), "values"),
                    memory.allocate(4 * b * c.ffnDim(), "gate"),
                    memory.allocate(4 * b * c.ffnDim(), "up"),
                    memory.allocate(4L * CudaForward.LOGIT_ROWS * c.vocabSize(), "logits"),
                    memory.allocate(4, "argmax"),
                    memory.allocate(4 * Math.max(partialFloats, 1), "attention partials"),
                    memory.allocate(4L * stepIntCount, "step integers"));
            stepPinned = new PinnedBuffer(4L * stepIntCount);
            outPinned = new PinnedBuffer(4L * CudaForward.LOGIT_ROWS * c.vocabSize());
        } catch (RuntimeException e) {
            memory.close();
            cache.close();
            throw e;
        }
        cache.store().bind(stream);
    }

    /** Device bytes of one sequence's activations (besides its KV store). */
    static long activationBytes(ModelConfig c, int maxBatch, long partialFloats) {
        long perToken = 3L * c.dim() + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.ffnDim() + 2;
        return 4 * (perToken * maxBatch + (long) CudaForward.LOGIT_ROWS * c.vocabSize() + partialFloats + c.layers() + 1);
    }

    @Override
    public KvCache<CudaKvStore> cache() {
        return cache;
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public void close() {
        owner.makeCurrent();
        if (decodeGraph != null) {
            cuGraphExecDestroy(decodeGraph);
            decodeGraph = null;
        }
        memory.close();
        stepPinned.close();
        outPinned.close();
        cache.close();
        cuStreamDestroy(stream);
    }
}
