package dev.chelsea.engine.backend.cpu;

import dev.chelsea.engine.arch.ModelConfig;
import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.kernel.MatMul;
import dev.chelsea.engine.kernel.Ops;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.HostKvStore;
import dev.chelsea.engine.kv.KvCache;

/**
 * The CPU forward pass, written once for every supported architecture: a batch of tokens goes
 * through every layer together (matrix-matrix products), so a prompt is prefilled in a few large
 * steps and a decode step is the same code with a batch of one.
 */
final class Transformer {
    private final ModelConfig c;
    private final CpuWeights w;
    private final Parallel parallel;
    private final double[] invFreq;

    Transformer(CpuWeights w, Parallel parallel) {
        this.c = w.model.config;
        this.w = w;
        this.parallel = parallel;
        this.invFreq = w.model.ropeInverseFrequencies();
    }

    public ModelConfig config() {
        return c;
    }

    /** Working memory for batches of up to {@code batch} tokens; one per sequence. */
    final class Scratch {
        final int batch;
        final float[] x, xb, q, k, v, att, hb, hb2, cos, sin, logitsIn;
        final float[][] qkv, gateUp;

        Scratch(int batch) {
            this.batch = batch;
            x = new float[batch * c.dim()];
            xb = new float[batch * c.dim()];
            q = new float[batch * c.qDim()];
            k = new float[batch * c.kvDim()];
            v = new float[batch * c.kvDim()];
            att = new float[batch * c.qDim()];
            hb = new float[batch * c.ffnDim()];
            hb2 = new float[batch * c.ffnDim()];
            cos = new float[batch * (c.ropeDim() / 2)];
            sin = new float[batch * (c.ropeDim() / 2)];
            logitsIn = new float[batch * c.dim()];
            qkv = new float[][]{q, k, v};
            gateUp = new float[][]{hb, hb2};
        }
    }

    Scratch newScratch(int batch) {
        return new Scratch(batch);
    }

    /** Bytes of scratch for a batch size, for memory estimates. */
    long scratchBytes(int batch) {
        long perToken = 3L * c.dim() + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.ffnDim() + c.ropeDim() + c.dim();
        return 4L * batch * perToken;
    }

    /**
     * Runs {@code n <= s.batch} tokens at the cache's next positions, appends their keys and values
     * to {@code cache} and commits them. Writes logits of the last {@code logitRows} tokens of the
     * batch ({@code [logitRows][vocab]}) into {@code logits}, if not null.
     */
    void forward(int[] tokens, int off, int n, KvCache<HostKvStore> cache, Scratch s, float[] logits, int logitRows) {
        if (n <= 0 || n > s.batch) {
            throw new IllegalArgumentException("batch of " + n + " tokens (scratch holds " + s.batch + ")");
        }
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ffn = c.ffnDim();
        int pos0 = cache.position();
        cache.beginBatch(n);
        HostKvStore store = cache.store();
        for (int t = 0; t < n; t++) {
            int tok = tokens[off + t];
            if (tok < 0 || tok >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tok + " is outside the vocabulary of " + c.vocabSize());
            }
            w.tokenEmbedding.dequantizeRow(tok, s.x, t * dim);
        }
        ropeTables(pos0, n, s);
        for (int li = 0; li < c.layers(); li++) {
            CpuWeights.Layer cl = w.layers[li];
            ModelWeights.Layer l = cl.w;
            perToken(n, (t0, t1) -> {
                for (int t = t0; t < t1; t++) {
                    Ops.rmsNorm(s.xb, t * dim, s.x, t * dim, l.attnNorm, 0, dim, c.rmsEps());
                }
            });
            MatMul.matMul(parallel, s.xb, n, cl.qkv, s.qkv);
            int half = c.ropeDim() / 2;
            perToken(n, (t0, t1) -> {
                for (int t = t0; t < t1; t++) {
                    if (l.qBias != null) {
                        Ops.add(s.q, t * qDim, l.qBias, 0, qDim);
                        Ops.add(s.k, t * kvDim, l.kBias, 0, kvDim);
                        Ops.add(s.v, t * kvDim, l.vBias, 0, kvDim);
                    }
                    rotate(l, s, t, half);
                }
            });
            store.append(li, s.k, s.v, n);
            store.attend(li, s.q, n, c.heads(), s.att);
            MatMul.matMul(parallel, cl.wo, s.att, n, s.xb);
            perToken(n, (t0, t1) -> {
                for (int t = t0; t < t1; t++) {
                    Ops.add(s.x, t * dim, s.xb, t * dim, dim);
                    Ops.rmsNorm(s.xb, t * dim, s.x, t * dim, l.ffnNorm, 0, dim, c.rmsEps());
                }
            });
            MatMul.matMul(parallel, s.xb, n, cl.gateUp, s.gateUp);
            perToken(n, (t0, t1) -> Ops.siluMul(s.hb, s.hb2, t0 * ffn, t1 * ffn));
            MatMul.matMul(parallel, cl.down, s.hb, n, s.xb);
            perToken(n, (t0, t1) -> Ops.add(s.x, t0 * dim, s.xb, t0 * dim, (t1 - t0) * dim));
        }
        cache.commit(n);
        if (logits != null && logitRows > 0) {
            int first = n - logitRows;
            for (int t = 0; t < logitRows; t++) {
                Ops.rmsNorm(s.logitsIn, t * dim, s.x, (first + t) * dim, w.model.outputNorm, 0, dim, c.rmsEps());
            }
            MatMul.matMul(parallel, w.output, s.logitsIn, logitRows, logits);
        }
    }

    /**
     * Runs element-wise work on the tokens of a batch in parallel (a prompt batch has a hundred or
     * more); a single token is done on the calling thread.
     */
    private void perToken(int n, Parallel.RangeTask work) {
        if (n == 1) {
            work.run(0, 1);
        } else {
            parallel.forRange(n, 1, work);
        }
    }

    /** Per-head norms (Qwen3) and rotary embedding of token {@code t}'s queries and keys. */
    private void rotate(ModelWeights.Layer l, Scratch s, int t, int half) {
        int qDim = c.qDim(), kvDim = c.kvDim(), hd = c.headDim();
        for (int h = 0; h < c.heads(); h++) {
            int o = t * qDim + h * hd;
            if (l.qNorm != null) {
                Ops.rmsNorm(s.q, o, s.q, o, l.qNorm, 0, hd, c.rmsEps());
            }
            Ops.rope(s.q, o, c.ropeDim(), c.architecture().neoxRope, s.cos, s.sin, t * half);
        }
        for (int h = 0; h < c.kvHeads(); h++) {
            int o = t * kvDim + h * hd;
            if (l.kNorm != null) {
                Ops.rmsNorm(s.k, o, s.k, o, l.kNorm, 0, hd, c.rmsEps());
            }
            Ops.rope(s.k, o, c.ropeDim(), c.architecture().neoxRope, s.cos, s.sin, t * half);
        }
    }

    private void ropeTables(int pos0, int n, Scratch s) {
        int half = c.ropeDim() / 2;
        for (int t = 0; t < n; t++) {
            int p = pos0 + t;
            for (int i = 0; i < half; i++) {
                double a = p * invFreq[i];
                s.cos[t * half + i] = (float) Math.cos(a);
                s.sin[t * half + i] = (float) Math.sin(a);
            }
        }
    }
}
