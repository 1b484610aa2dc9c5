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
        final float[][] qkv, gateUp, kv;

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
            kv = new float[][]{k, v};
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
     *
     * <p>In the last layer, the other tokens need only their keys and values: where the cache's
     * policy reads no queries ({@link HostKvStore#needsEveryQuery}), their queries, attention,
     * output projection and feed-forward are left out ({@link #lastLayer}), as llama.cpp does. That
     * is 58.7 of the 60.8 million multiply-adds a layer of Llama-3.2-1B does per token, 6% of a
     * prompt's products (one layer in sixteen): 256-token Q4_0 prefills took 0.933x the time
     * ({@code bin/engine-ab --order p --prompt 256 --rounds 20}, AMD EPYC Zen 5, 2026-12-07).
     */
    void forward(int[] tokens, int off, int n, KvCache<HostKvStore> cache, Scratch s, float[] logits, int logitRows) {
        if (n <= 0 || n > s.batch) {
            throw new IllegalArgumentException("batch of " + n + " tokens (scratch holds " + s.batch + ")");
        }
        int wanted = logits != null ? logitRows : 0;
        if (wanted < 0 || wanted > n) {
            throw new IllegalArgumentException("logits of " + logitRows + " tokens of a batch of " + n);
        }
        int dim = c.dim();
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
        int last = c.layers() - 1;
        for (int li = 0; li < last; li++) {
            layer(li, n, store, s);
        }
        // Rows of s.x that hold the batch's last tokens at the end.
        int live = n;
        if (wanted < n && !store.needsEveryQuery()) {
            lastLayer(last, n, wanted, store, s);
            live = wanted;
        } else {
            layer(last, n, store, s);
        }
        cache.commit(n);
        if (wanted > 0) {
            int first = live - wanted;
            for (int t = 0; t < wanted; t++) {
                Ops.rmsNorm(s.logitsIn, t * dim, s.x, (first + t) * dim, w.model.outputNorm, 0, dim, c.rmsEps());
            }
            MatMul.matMul(parallel, w.output, s.logitsIn, wanted, logits);
        }
    }

    /** Layer {@code li} for the {@code n} tokens of the batch. */
    private void layer(int li, int n, HostKvStore store, Scratch s) {
        CpuWeights.Layer cl = w.layers[li];
        ModelWeights.Layer l = cl.w;
        attentionNorm(l, n, s);
        MatMul.matMul(parallel, s.xb, n, cl.qkv, s.qkv);
        int half = c.ropeDim() / 2;
        perToken(n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                keyBiasAndRotation(l, s, t, half);
                queryBiasAndRotation(l, s, t, t, half);
            }
        });
        store.append(li, s.k, s.v, n);
        store.attend(li, s.q, n, c.heads(), s.att);
        outputAndFeedForward(cl, n, s);
    }

    /**
     * The last layer when only its last {@code m < n} tokens' outputs are read: keys and values for
     * all {@code n}, then the rest for those {@code m} alone, moved to the first rows of
     * {@code s.x} (where {@link #forward} reads them).
     */
    private void lastLayer(int li, int n, int m, HostKvStore store, Scratch s) {
        CpuWeights.Layer cl = w.layers[li];
        ModelWeights.Layer l = cl.w;
        int dim = c.dim();
        int half = c.ropeDim() / 2;
        attentionNorm(l, n, s);
        MatMul.matMul(parallel, s.xb, n, cl.kv, s.kv);
        perToken(n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                keyBiasAndRotation(l, s, t, half);
            }
        });
        store.append(li, s.k, s.v, n);
        if (m == 0) {
            return;
        }
        int from = n - m;
        System.arraycopy(s.xb, from * dim, s.xb, 0, m * dim);
        System.arraycopy(s.x, from * dim, s.x, 0, m * dim);
        MatMul.matMul(parallel, cl.qkv[0], s.xb, m, s.q);
        for (int i = 0; i < m; i++) {
            queryBiasAndRotation(l, s, i, from + i, half);
        }
        store.attendLast(li, s.q, n, m, c.heads(), s.att);
        outputAndFeedForward(cl, m, s);
    }

    private void attentionNorm(ModelWeights.Layer l, int n, Scratch s) {
        int dim = c.dim();
        perToken(n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                Ops.rmsNorm(s.xb, t * dim, s.x, t * dim, l.attnNorm, 0, dim, c.rmsEps());
            }
        });
    }

    /** The attention's output projection and the feed-forward block, each with its residual, for rows {@code [0, n)}. */
    private void outputAndFeedForward(CpuWeights.Layer cl, int n, Scratch s) {
        ModelWeights.Layer l = cl.w;
        int dim = c.dim(), ffn = c.ffnDim();
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

    /** Biases (Qwen2) of token {@code t}'s key and value, then per-head norms (Qwen3) and rotary embedding of its keys. */
    private void keyBiasAndRotation(ModelWeights.Layer l, Scratch s, int t, int half) {
        int kvDim = c.kvDim();
        if (l.kBias != null) {
            Ops.add(s.k, t * kvDim, l.kBias, 0, kvDim);
            Ops.add(s.v, t * kvDim, l.vBias, 0, kvDim);
        }
        normAndRotate(s.k, t * kvDim, c.kvHeads(), l.kNorm, s, t, half);
    }

    /** The same for the query in row {@code row} of {@code s.q}, token {@code t} of the batch (its rotation's position). */
    private void queryBiasAndRotation(ModelWeights.Layer l, Scratch s, int row, int t, int half) {
        int qDim = c.qDim();
        if (l.qBias != null) {
            Ops.add(s.q, row * qDim, l.qBias, 0, qDim);
        }
        normAndRotate(s.q, row * qDim, c.heads(), l.qNorm, s, t, half);
    }

    /** {@code heads} heads from {@code x[at]}: each normed by {@code norm} if there is one, then rotated to token {@code t}'s position. */
    private void normAndRotate(float[] x, int at, int heads, float[] norm, Scratch s, int t, int half) {
        int hd = c.headDim();
        for (int h = 0; h < heads; h++) {
            int o = at + h * hd;
            if (norm != null) {
                Ops.rmsNorm(x, o, x, o, norm, 0, hd, c.rmsEps());
            }
            Ops.rope(x, o, c.ropeDim(), c.architecture().neoxRope, s.cos, s.sin, t * half);
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
