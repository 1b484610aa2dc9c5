package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelConfig;
import dev.chelsea.engine.backend.SequenceStep;
import dev.chelsea.engine.kv.KvCache;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

/**
 * The forward pass on the GPU, written once for every architecture as on the CPU: per layer RMS
 * norm, the Q/K/V products (biases and per-head norms where the architecture has them), rotary
 * embedding, the KV store append, attention, the output product and residual, then the
 * SiLU-gated feed-forward; at the end the final norm, the logits of the rows asked for and their
 * argmax. A batch of one token (decode) runs as a CUDA graph captured on the sequence's first
 * decode step: about 200 kernels cost 0.5 us each in a graph against 3.6 us launched from Java.
 */
final class CudaForward {
    /** Rows of logits computed per pass of the output product when many are asked for (perplexity). */
    static final int LOGIT_ROWS = 16;

    private final ModelConfig c;
    private final DeviceWeights w;
    private final KernelCalls calls;
    private final int multiprocessors;

    CudaForward(ModelConfig c, DeviceWeights w, CudaDriver.Device device) {
        this.c = c;
        this.w = w;
        this.multiprocessors = device.multiprocessors();
        this.calls = new KernelCalls(device.multiprocessors());
    }

    KernelCalls calls() {
        return calls;
    }

    /** Floats of decode-attention partials for a sequence of {@code capacity} slots. */
    long partialFloats(int capacity) {
        return KernelCalls.partialFloats(c.heads(), c.headDim(), calls.decodeSplits(c.kvHeads(), capacity));
    }

    /** Runs one step of one sequence: copies its integers in, launches (or replays) the kernels, copies what was asked for out. */
    void step(CudaSequence s, KernelModule module, SequenceStep step) {
        int n = step.count();
        KvCache<CudaKvStore> cache = s.cache;
        cache.beginBatch(n);
        CudaKvStore store = cache.store();
        IntBuffer ints = s.stepPinned.bytes.asIntBuffer();
        for (int t = 0; t < n; t++) {
            int tok = step.tokens()[step.offset() + t];
            if (tok < 0 || tok >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tok + " is outside the vocabulary of " + c.vocabSize());
            }
            ints.put(t, tok);
            ints.put(s.maxBatch + t, cache.position() + t);
        }
        boolean logits = step.logits() != null, argmax = step.argmax() != null;
        // Rows whose hidden states are read after the last layer (see lastLayer).
        int read = logits ? step.logitRows() : argmax ? 1 : 0;
        for (int l = 0; l < c.layers(); l++) {
            ints.put(2 * s.maxBatch + l, store.slotBase(l));
        }
        ints.put(2 * s.maxBatch + c.layers(), store.slotBase(c.layers() - 1) + n - read);
        StepBuffers b = s.buffers;
        cuMemcpyHtoDAsync(b.stepInts().ptr(), s.stepPinned.pointer, 4L * s.stepIntCount, s.stream);
        Launcher launcher = module.on(s.stream);
        if (n == 1) {
            if (s.decodeGraph == null) {
                s.decodeGraph = capture(s, launcher);
            }
            cuGraphLaunch(s.decodeGraph, s.stream);
        } else {
            layers(b, store, launcher, n, read);
            if (logits && step.logitRows() <= LOGIT_ROWS) {
                output(b, launcher, n - step.logitRows(), step.logitRows(), argmax);
            } else if (!logits && argmax) {
                output(b, launcher, n - 1, 1, true);
            }
        }
        for (int l = 0; l < c.layers(); l++) {
            store.appended(l, n);
        }
        if (logits) {
            copyLogits(s, launcher, step, n, argmax);
        }
        if (argmax) {
            cuMemcpyDtoHAsync(s.outPinned.pointer, b.argmax().ptr(), 4, s.stream);
            cuStreamSynchronize(s.stream);
            step.argmax()[0] = s.outPinned.bytes.getInt(0);
        }
        cuStreamSynchronize(s.stream);
        cache.commit(n);
    }

    /** Captures the whole decode step for one token (layers, final norm, logits, argmax) as a graph. */
    private CUgraphExec capture(CudaSequence s, Launcher launcher) {
        CUgraph graph = new CUgraph();
        cuStreamBeginCapture(s.stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        try {
            decodeStep(s.buffers, s.cache.store(), launcher);
        } finally {
            cuStreamEndCapture(s.stream, graph);
        }
        CUgraphExec exec = new CUgraphExec();
        try {
            cuGraphInstantiate(exec, graph, 0);
        } finally {
            cuGraphDestroy(graph);
        }
        return exec;
    }

    /**
     * Copies the logits of the step's last rows out. Up to {@link #LOGIT_ROWS} rows were computed
     * by the step itself; more are computed here in passes of that many (the last pass also
     * computes the argmax when asked).
     */
    private void copyLogits(CudaSequence s, Launcher launcher, SequenceStep step, int n, boolean argmax) {
        int rows = step.logitRows(), vocab = c.vocabSize();
        boolean computed = n == 1 || rows <= LOGIT_ROWS;
        for (int r0 = 0; r0 < rows; r0 += LOGIT_ROWS) {
            int m = Math.min(LOGIT_ROWS, rows - r0);
            if (!computed) {
                output(s.buffers, launcher, n - rows + r0, m, argmax && r0 + m == rows);
            }
            cuMemcpyDtoHAsync(s.outPinned.pointer, s.buffers.logits().ptr(), 4L * m * vocab, s.stream);
            cuStreamSynchronize(s.stream);
            FloatBuffer f = s.outPinned.bytes.asFloatBuffer();
            f.get(0, step.logits(), r0 * vocab, m * vocab);
        }
    }

    /** The kernels of one decode step (one token): what the graph holds. */
    void decodeStep(StepBuffers s, DeviceKv store, Launcher launch) {
        layers(s, store, launch, 1);
        output(s, launch, 0, 1, true);
    }

    /** Every layer for {@code n} tokens whose ids, positions and slot bases are in the step buffer. */
    void layers(StepBuffers s, DeviceKv store, Launcher launch, int n) {
        layers(s, store, launch, n, n);
    }

    /**
     * The same, where only the last {@code read} rows' hidden states are read afterwards: the last
     * layer runs the rest of the rows for their keys and values only ({@link #lastLayer}).
     */
    void layers(StepBuffers s, DeviceKv store, Launcher launch, int n, int read) {
        CUdeviceptr positions = s.positions();
        int dim = c.dim();
        int splits = calls.decodeSplits(c.kvHeads(), store.capacity());
        launch.launch(calls.getRows(w.tokenEmbedding, s.tokens(), s.x().ptr(), n));
        for (int li = 0; li < c.layers(); li++) {
            if (li == c.layers() - 1 && read < n) {
                lastLayer(s, store, launch, n, read);
                break;
            }
            DeviceWeights.Layer l = w.layers[li];
            CUdeviceptr slotBase = s.slotBase(li);
            launch.launch(calls.rmsNorm(s.x().ptr(), l.attnNorm.ptr(), s.xb().ptr(), n, dim, c.rmsEps()));
            queries(s, l, s.xb().ptr(), n, launch);
            keysAndValues(s, l, n, launch);
            launch.launch(calls.rope(s.q().ptr(), s.k().ptr(), positions, w.invFreq.ptr(), n, c));
            launch.launch(calls.kvAppend(s.k().ptr(), s.v().ptr(), store, li, positions, slotBase, n));
            if (n == 1) {
                launch.launch(calls.attentionDecode(s.q().ptr(), store, li, slotBase, s.partials().ptr(), c.heads(), splits));
                launch.launch(calls.attentionCombine(s.partials().ptr(), s.att().ptr(), c.heads(), c.headDim(), splits));
            } else {
                launch.launch(calls.attentionPrefill(s.q().ptr(), store, li, slotBase, s.att().ptr(), n, c.heads()));
            }
            outputAndFeedForward(s, l, s.x().ptr(), n, launch);
        }
    }

    /**
     * The last layer when only its last {@code m < n} rows are read (the logits of a prompt's last
     * token, or none for a batch before it), as the CPU's forward does: keys and values for all
     * {@code n} rows, then queries, attention, output projection and feed-forward for those
     * {@code m} alone, in place in their rows of {@code x}. Their attention starts at the slot base
     * plus {@code n - m} ({@link StepBuffers#lastQueriesBase}); a GPU store reads no queries
     * ({@link CudaKvStore#FEATURES}), so no policy needs the rest.
     */
    private void lastLayer(StepBuffers s, DeviceKv store, Launcher launch, int n, int m) {
        int li = c.layers() - 1;
        DeviceWeights.Layer l = w.layers[li];
        int dim = c.dim();
        launch.launch(calls.rmsNorm(s.x().ptr(), l.attnNorm.ptr(), s.xb().ptr(), n, dim, c.rmsEps()));
        keysAndValues(s, l, n, launch);
        launch.launch(calls.rope(s.q().ptr(), 0, s.k().ptr(), c.kvHeads(), s.positions(), w.invFreq.ptr(), n, c));
        launch.launch(calls.kvAppend(s.k().ptr(), s.v().ptr(), store, li, s.positions(), s.slotBase(li), n));
        if (m == 0) {
            return;
        }
        int from = n - m;
        queries(s, l, s.xb().at(4L * from * dim), m, launch);
        launch.launch(calls.rope(s.q().ptr(), c.heads(), s.k().ptr(), 0, s.positions(from), w.invFreq.ptr(), m, c));
        launch.launch(calls.attentionPrefill(s.q().ptr(), store, li, s.lastQueriesBase(c.layers()), s.att().ptr(), m, c.heads()));
        outputAndFeedForward(s, l, s.x().at(4L * from * dim), m, launch);
    }

    /** The queries of {@code n} normed rows from {@code xb}: their product, biases (Qwen2) and per-head norms (Qwen3), into {@code q}. */
    private void queries(StepBuffers s, DeviceWeights.Layer l, CUdeviceptr xb, int n, Launcher launch) {
        launch.launch(calls.matmul(l.wq, xb, s.q().ptr(), n));
        if (l.qBias != null) {
            launch.launch(calls.addBias(s.q().ptr(), l.qBias.ptr(), n, c.qDim()));
        }
        if (l.qNorm != null) {
            launch.launch(calls.rmsNorm(s.q().ptr(), l.qNorm.ptr(), s.q().ptr(), n * c.heads(), c.headDim(), c.rmsEps()));
        }
    }

    /** The keys and values of the first {@code n} normed rows of {@code xb}, with their biases and the keys' per-head norms. */
    private void keysAndValues(StepBuffers s, DeviceWeights.Layer l, int n, Launcher launch) {
        launch.launch(calls.matmul(l.wk, s.xb().ptr(), s.k().ptr(), n));
        launch.launch(calls.matmul(l.wv, s.xb().ptr(), s.v().ptr(), n));
        if (l.kBias != null) {
            launch.launch(calls.addBias(s.k().ptr(), l.kBias.ptr(), n, c.kvDim()));
            launch.launch(calls.addBias(s.v().ptr(), l.vBias.ptr(), n, c.kvDim()));
        }
        if (l.kNorm != null) {
            launch.launch(calls.rmsNorm(s.k().ptr(), l.kNorm.ptr(), s.k().ptr(), n * c.kvHeads(), c.headDim(), c.rmsEps()));
        }
    }

    /**
     * The attention's output projection and the feed-forward block for {@code n} rows of the
     * residual stream from {@code x}, both added into it.
     */
    private void outputAndFeedForward(StepBuffers s, DeviceWeights.Layer l, CUdeviceptr x, int n, Launcher launch) {
        launch.launch(calls.matmul(l.wo, s.att().ptr(), x, n, true));
        launch.launch(calls.rmsNorm(x, l.ffnNorm.ptr(), s.xb().ptr(), n, c.dim(), c.rmsEps()));
        launch.launch(calls.matmul(l.gate, s.xb().ptr(), s.hb().ptr(), n));
        launch.launch(calls.matmul(l.up, s.xb().ptr(), s.hb2().ptr(), n));
        launch.launch(calls.siluMul(s.hb().ptr(), s.hb2().ptr(), n, c.ffnDim()));
        launch.launch(calls.matmul(l.down, s.hb().ptr(), x, n, true));
    }

    /**
     * Final norm of {@code rows} hidden states from row {@code first}, their logits into the
     * sequence's logits buffer, and (when asked) the argmax of the last one.
     */
    void output(StepBuffers s, Launcher launch, int first, int rows, boolean argmax) {
        int dim = c.dim();
        launch.launch(calls.rmsNorm(s.x().at(4L * first * dim), w.outputNorm.ptr(), s.xb().ptr(), rows, dim, c.rmsEps()));
        launch.launch(calls.matmul(w.output, s.xb().ptr(), s.logits().ptr(), rows));
        if (argmax) {
            launch.launch(calls.argmax(s.logits().at(4L * (rows - 1) * c.vocabSize()), c.vocabSize(), s.argmax().ptr()));
        }
    }
}
