package dev.chelsea.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Causal scaled dot-product attention of a block of consecutive queries of a prompt batch against
 * one KV head, as tiled matrix products. The rows of a block are its (query, query head of the GQA
 * group) pairs, up to {@link #BLOCK_ROWS} of them, so every key and value is read once per block
 * instead of once per query head.
 *
 * <p>Rows are vector lanes: the block's queries are transposed once into {@code [headDim][rows]},
 * and a vector of scores (one key against {@code L} rows) is an FMA chain of broadcast key elements
 * times query columns. Keys and values are read in place, no score needs a horizontal reduction,
 * the softmax statistics are lane-wise, and any head size works. Both products hold a 4 x 4 block
 * of accumulators, four keys or head dimensions by a panel of four row vectors, so that a
 * broadcast feeds four FMAs: with one broadcast per FMA the kernel ran at half the speed. Rows are
 * padded to whole panels. The softmax is online (running max and sum per row) over tiles of
 * {@link #TILE} keys, so a tile's scores stay in L1; when the caller wants each query's weights,
 * the whole visible range is one tile and the weights are normalised at the end.
 *
 * <p>The kernels keep every vector in local variables: a vector passed to or returned from a method
 * that C2 does not inline is boxed (see {@code tensor/Simd}).
 */
public final class BlockAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows of the register blocks: four vectors. */
    private static final int PANEL = 4 * L;
    /**
     * Whether {@link #scores} and {@link #values} keep four vectors of rows in their 4 x 4 register
     * blocks (AVX-512's 32 registers), or two, in 4 x 2 blocks, each panel in two passes (AVX2's 16:
     * 16 accumulators, four row vectors and a broadcast did not fit, and C2 kept accumulators on the
     * stack). One thread, depth 4096, group 4, head size 64, {@code AttentionBenchmarkMain}, tiled
     * GFLOP/s for 16 / 64 / 128 queries (AMD EPYC Zen 3, 2026-12-06, the two forms in turn): 4 x 4
     * blocks 22.2-31.6 / 22.2-30.2 / 22.3-29.9, 4 x 2 blocks 25.0-47.7 / 46.3-48.2 / 33.1-49.7.
     */
    private static final boolean FOUR = L >= 16;
    /** Rows of one register block: {@link #PANEL} or half of it. */
    private static final int BLOCK = FOUR ? PANEL : PANEL / 2;
    /** Rows per block: a key or value read from memory feeds this many FMA lanes (128 measured no faster). */
    private static final int BLOCK_ROWS = 64;
    /** Below this many rows, padding to a panel makes the tiled kernel slower than query by query (measured with 16 lanes, groups of 1, 4 and 8). */
    private static final int MIN_ROWS = 16;
    /** Keys per online-softmax step: {@code TILE x rows} scores, keys and values fit in L1. */
    private static final int TILE = 64;

    private BlockAttention() {
    }

    /** Queries per block for a GQA group size: whole queries, so that each query's weights come from one block. */
    public static int queriesPerBlock(int group) {
        return Math.max(1, BLOCK_ROWS / group);
    }

    /** Whether a batch of {@code queries} for groups of {@code group} query heads has rows enough for this kernel to pay. */
    public static boolean pays(int queries, int group) {
        return queries * group >= MIN_ROWS;
    }

    /** Working memory of one thread; reused across calls. */
    public static final class Scratch {
        private float[] qt = new float[0];     // [headDim][rows]: scaled queries, transposed
        private float[] ot = new float[0];     // [headDim][rows]: unnormalised outputs
        private float[] st = new float[0];     // [keys of the tile][rows]: scores, then exponentials
        private float[] limit = new float[0];  // [rows]: keys each row sees, as floats to compare lane-wise (exact below 2^24)
        private float[] max = new float[0];    // [rows]: running max of the logits
        private float[] sum = new float[0];    // [rows]: running sum of the exponentials
        private float[][] weights = new float[0][];

        /** The softmax weights ({@code [group][visible]}) of query {@code i} of the last block, when they were asked for. */
        public float[] weights(int i) {
            return weights[i];
        }

        private void ensure(int headDim, int rows, int tile) {
            if (qt.length < headDim * rows) {
                qt = new float[headDim * rows];
                ot = new float[headDim * rows];
            }
            if (st.length < tile * rows) {
                st = new float[grown(st.length, tile * rows)];
            }
            if (limit.length < rows) {
                limit = new float[rows];
                max = new float[rows];
                sum = new float[rows];
            }
        }

        private void ensureWeights(int queries, int group, int firstVisible) {
            if (weights.length < queries) {
                weights = Arrays.copyOf(weights, queries);
            }
            for (int i = 0; i < queries; i++) {
                int need = group * (firstVisible + i);
                if (weights[i] == null || weights[i].length < need) {
                    weights[i] = new float[grown(weights[i] == null ? 0 : weights[i].length, need)];
                }
            }
        }

        // The visible range grows with every batch of a prompt: grow geometrically, not batch by batch.
        private static int grown(int length, int need) {
            return Math.max(need, length + (length >> 1));
        }
    }

    /**
     * Attends queries {@code first .. first + count)} of a batch to the keys and values of one KV
     * head; query {@code i} of the batch sees slots {@code [0, before + i]}.
     *
     * @param q       the batch's queries, {@code [query][heads][headDim]}
     * @param kvHead  the KV head; its query heads are {@code kvHead * group .. + group)}
     * @param keys    {@code [slots][headDim]}
     * @param values  {@code [slots][headDim]}
     * @param bias    per-slot additive logit bias, or null
     * @param out     output, laid out like {@code q}; only this block's rows are written
     * @param weights whether to leave each query's softmax weights in {@link Scratch#weights}
     */
    public static void attend(float[] q, int heads, int kvHead, int group, int first, int count, int before,
                              float[] keys, float[] values, float[] bias, int headDim, float scale,
                              float[] out, Scratch s, boolean weights) {
        int rows = count * group;
        int rp = (rows + PANEL - 1) / PANEL * PANEL;
        int firstVisible = before + first + 1;
        int end = before + first + count;
        int tile = weights ? end : Math.min(TILE, end);
        s.ensure(headDim, rp, tile);
        if (weights) {
            s.ensureWeights(count, group, firstVisible);
        }
        load(q, heads, kvHead, group, first, rows, rp, firstVisible, end, headDim, scale, s);
        for (int t0 = 0; t0 < end; t0 += tile) {
            int t1 = Math.min(end, t0 + tile);
            scores(s.qt, rp, headDim, keys, t0, t1, s.st);
            softmaxStep(s, rp, headDim, bias, t0, t1, firstVisible);
            values(s.st, rp, headDim, values, t0, t1, s.ot);
        }
        if (weights) {
            storeWeights(s, rows, rp, group, firstVisible);
        }
        for (int r = 0; r < rows; r++) {
            int o = (first + r / group) * heads * headDim + (kvHead * group + r % group) * headDim;
            float inv = 1f / s.sum[r];
            for (int d = 0; d < headDim; d++) {
                out[o + d] = s.ot[d * rp + r] * inv;
            }
        }
    }

    /** Transposes the block's queries (scaled) and resets the softmax state; padding rows get zero queries, which keeps them finite. */
    private static void load(float[] q, int heads, int kvHead, int group, int first, int rows, int rp, int firstVisible, int end,
                             int headDim, float scale, Scratch s) {
        for (int r = 0; r < rp; r++) {
            if (r < rows) {
                int src = (first + r / group) * heads * headDim + (kvHead * group + r % group) * headDim;
                for (int d = 0; d < headDim; d++) {
                    s.qt[d * rp + r] = q[src + d] * scale;
                }
                s.limit[r] = firstVisible + r / group;
            } else {
                for (int d = 0; d < headDim; d++) {
                    s.qt[d * rp + r] = 0f;
                }
                s.limit[r] = end;
            }
        }
        Arrays.fill(s.ot, 0, headDim * rp, 0f);
        Arrays.fill(s.max, 0, rp, Float.NEGATIVE_INFINITY);
        Arrays.fill(s.sum, 0, rp, 0f);
    }

    /**
     * {@code st[j - t0][r] = q[r] . k[j]} for keys {@code [t0, t1)}: a 4 x 4 block of accumulators
     * (four keys by four vectors of rows; 4 x 2 on AVX2, see {@link #FOUR}), so that each broadcast
     * key element feeds four FMAs (two on AVX2) and each query vector loaded feeds four. Runs over
     * sub-tiles of {@link #TILE} keys so that a long tile's keys are reused from L1 by every group
     * of rows.
     */
    private static void scores(float[] qt, int rp, int hd, float[] keys, int t0, int t1, float[] st) {
        for (int u0 = t0; u0 < t1; u0 += TILE) {
            int u1 = Math.min(t1, u0 + TILE);
            for (int p = 0; p < rp; p += BLOCK) {
                int j = u0;
                for (; j + 4 <= u1; j += 4) {
                    FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
                    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
                    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                    int k = j * hd;
                    for (int d = 0, qo = p; d < hd; d++, qo += rp) {
                        FloatVector x0 = FloatVector.fromArray(S, qt, qo);
                        FloatVector x1 = FloatVector.fromArray(S, qt, qo + L);
                        FloatVector x2 = x0, x3 = x0;
                        if (FOUR) {
                            x2 = FloatVector.fromArray(S, qt, qo + 2 * L);
                            x3 = FloatVector.fromArray(S, qt, qo + 3 * L);
                        }
                        FloatVector b = FloatVector.broadcast(S, keys[k + d]);
                        a00 = x0.fma(b, a00);
                        a01 = x1.fma(b, a01);
                        if (FOUR) {
                            a02 = x2.fma(b, a02);
                            a03 = x3.fma(b, a03);
                        }
                        b = FloatVector.broadcast(S, keys[k + hd + d]);
                        a10 = x0.fma(b, a10);
                        a11 = x1.fma(b, a11);
                        if (FOUR) {
                            a12 = x2.fma(b, a12);
                            a13 = x3.fma(b, a13);
                        }
                        b = FloatVector.broadcast(S, keys[k + 2 * hd + d]);
                        a20 = x0.fma(b, a20);
                        a21 = x1.fma(b, a21);
                        if (FOUR) {
                            a22 = x2.fma(b, a22);
                            a23 = x3.fma(b, a23);
                        }
                        b = FloatVector.broadcast(S, keys[k + 3 * hd + d]);
                        a30 = x0.fma(b, a30);
                        a31 = x1.fma(b, a31);
                        if (FOUR) {
                            a32 = x2.fma(b, a32);
                            a33 = x3.fma(b, a33);
                        }
                    }
                    int o = (j - t0) * rp + p;
                    a00.intoArray(st, o);
                    a01.intoArray(st, o + L);
                    a10.intoArray(st, o + rp);
                    a11.intoArray(st, o + rp + L);
                    a20.intoArray(st, o + 2 * rp);
                    a21.intoArray(st, o + 2 * rp + L);
                    a30.intoArray(st, o + 3 * rp);
                    a31.intoArray(st, o + 3 * rp + L);
                    if (FOUR) {
                        a02.intoArray(st, o + 2 * L);
                        a03.intoArray(st, o + 3 * L);
                        a12.intoArray(st, o + rp + 2 * L);
                        a13.intoArray(st, o + rp + 3 * L);
                        a22.intoArray(st, o + 2 * rp + 2 * L);
                        a23.intoArray(st, o + 2 * rp + 3 * L);
                        a32.intoArray(st, o + 3 * rp + 2 * L);
                        a33.intoArray(st, o + 3 * rp + 3 * L);
                    }
                }
                for (; j < u1; j++) {
                    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                    int k = j * hd;
                    for (int d = 0, qo = p; d < hd; d++, qo += rp) {
                        FloatVector b = FloatVector.broadcast(S, keys[k + d]);
                        a0 = FloatVector.fromArray(S, qt, qo).fma(b, a0);
                        a1 = FloatVector.fromArray(S, qt, qo + L).fma(b, a1);
                        if (FOUR) {
                            a2 = FloatVector.fromArray(S, qt, qo + 2 * L).fma(b, a2);
                            a3 = FloatVector.fromArray(S, qt, qo + 3 * L).fma(b, a3);
                        }
                    }
                    int o = (j - t0) * rp + p;
                    a0.intoArray(st, o);
                    a1.intoArray(st, o + L);
                    if (FOUR) {
                        a2.intoArray(st, o + 2 * L);
                        a3.intoArray(st, o + 3 * L);
                    }
                }
            }
        }
    }

    /**
     * Adds the bias, masks keys beyond each row's causal limit, and folds the tile into the running
     * softmax: the new max rescales the sum and the outputs so far, and the scores become
     * exponentials relative to it. Four vectors of rows at a time, so that the max and sum chains
     * do not wait on each other.
     */
    private static void softmaxStep(Scratch s, int rp, int hd, float[] bias, int t0, int t1, int firstVisible) {
        float[] st = s.st;
        for (int p = 0; p < rp; p += PANEL) {
            FloatVector old0 = FloatVector.fromArray(S, s.max, p), old1 = FloatVector.fromArray(S, s.max, p + L);
            FloatVector old2 = FloatVector.fromArray(S, s.max, p + 2 * L), old3 = FloatVector.fromArray(S, s.max, p + 3 * L);
            FloatVector m0 = old0, m1 = old1, m2 = old2, m3 = old3;
            for (int j = t0; j < t1; j++) {
                int o = (j - t0) * rp + p;
                FloatVector x0 = FloatVector.fromArray(S, st, o), x1 = FloatVector.fromArray(S, st, o + L);
                FloatVector x2 = FloatVector.fromArray(S, st, o + 2 * L), x3 = FloatVector.fromArray(S, st, o + 3 * L);
                if (bias != null) {
                    x0 = x0.add(bias[j]);
                    x1 = x1.add(bias[j]);
                    x2 = x2.add(bias[j]);
                    x3 = x3.add(bias[j]);
                }
                if (j >= firstVisible) {
                    x0 = x0.blend(Float.NEGATIVE_INFINITY, FloatVector.fromArray(S, s.limit, p).compare(VectorOperators.LE, (float) j));
                    x1 = x1.blend(Float.NEGATIVE_INFINITY, FloatVector.fromArray(S, s.limit, p + L).compare(VectorOperators.LE, (float) j));
                    x2 = x2.blend(Float.NEGATIVE_INFINITY, FloatVector.fromArray(S, s.limit, p + 2 * L).compare(VectorOperators.LE, (float) j));
                    x3 = x3.blend(Float.NEGATIVE_INFINITY, FloatVector.fromArray(S, s.limit, p + 3 * L).compare(VectorOperators.LE, (float) j));
                }
                if (bias != null || j >= firstVisible) {
                    x0.intoArray(st, o);
                    x1.intoArray(st, o + L);
                    x2.intoArray(st, o + 2 * L);
                    x3.intoArray(st, o + 3 * L);
                }
                m0 = m0.max(x0);
                m1 = m1.max(x1);
                m2 = m2.max(x2);
                m3 = m3.max(x3);
            }
            // Every row sees slot 0, so the max is finite after the first tile and exp(-inf) = 0 clears nothing real.
            FloatVector r0 = old0.sub(m0).lanewise(VectorOperators.EXP), r1 = old1.sub(m1).lanewise(VectorOperators.EXP);
            FloatVector r2 = old2.sub(m2).lanewise(VectorOperators.EXP), r3 = old3.sub(m3).lanewise(VectorOperators.EXP);
            FloatVector sum0 = FloatVector.fromArray(S, s.sum, p).mul(r0), sum1 = FloatVector.fromArray(S, s.sum, p + L).mul(r1);
            FloatVector sum2 = FloatVector.fromArray(S, s.sum, p + 2 * L).mul(r2), sum3 = FloatVector.fromArray(S, s.sum, p + 3 * L).mul(r3);
            // Summed a sub-tile at a time: one float per row adding up thousands of terms in a row would lose digits.
            for (int u0 = t0; u0 < t1; u0 += TILE) {
                FloatVector e0 = FloatVector.zero(S), e1 = e0, e2 = e0, e3 = e0;
                for (int j = u0, u1 = Math.min(t1, u0 + TILE); j < u1; j++) {
                    int o = (j - t0) * rp + p;
                    FloatVector x0 = FloatVector.fromArray(S, st, o).sub(m0).lanewise(VectorOperators.EXP);
                    FloatVector x1 = FloatVector.fromArray(S, st, o + L).sub(m1).lanewise(VectorOperators.EXP);
                    FloatVector x2 = FloatVector.fromArray(S, st, o + 2 * L).sub(m2).lanewise(VectorOperators.EXP);
                    FloatVector x3 = FloatVector.fromArray(S, st, o + 3 * L).sub(m3).lanewise(VectorOperators.EXP);
                    x0.intoArray(st, o);
                    x1.intoArray(st, o + L);
                    x2.intoArray(st, o + 2 * L);
                    x3.intoArray(st, o + 3 * L);
                    e0 = e0.add(x0);
                    e1 = e1.add(x1);
                    e2 = e2.add(x2);
                    e3 = e3.add(x3);
                }
                sum0 = sum0.add(e0);
                sum1 = sum1.add(e1);
                sum2 = sum2.add(e2);
                sum3 = sum3.add(e3);
            }
            sum0.intoArray(s.sum, p);
            sum1.intoArray(s.sum, p + L);
            sum2.intoArray(s.sum, p + 2 * L);
            sum3.intoArray(s.sum, p + 3 * L);
            m0.intoArray(s.max, p);
            m1.intoArray(s.max, p + L);
            m2.intoArray(s.max, p + 2 * L);
            m3.intoArray(s.max, p + 3 * L);
            for (int d = 0, o = p; d < hd; d++, o += rp) {
                FloatVector.fromArray(S, s.ot, o).mul(r0).intoArray(s.ot, o);
                FloatVector.fromArray(S, s.ot, o + L).mul(r1).intoArray(s.ot, o + L);
                FloatVector.fromArray(S, s.ot, o + 2 * L).mul(r2).intoArray(s.ot, o + 2 * L);
                FloatVector.fromArray(S, s.ot, o + 3 * L).mul(r3).intoArray(s.ot, o + 3 * L);
            }
        }
    }

    /**
     * {@code ot[d][r] += sum_j st[j - t0][r] * v[j][d]}: a 4 x 4 block of accumulators (four head
     * dimensions by four vectors of rows; 4 x 2 on AVX2), so that each broadcast value element feeds
     * four FMAs (two on AVX2) and each weight vector loaded feeds four; sub-tiles of {@link #TILE}
     * keys as in {@link #scores}.
     */
    private static void values(float[] st, int rp, int hd, float[] values, int t0, int t1, float[] ot) {
        for (int u0 = t0; u0 < t1; u0 += TILE) {
            int u1 = Math.min(t1, u0 + TILE);
            for (int p = 0; p < rp; p += BLOCK) {
                int d = 0;
                for (; d + 4 <= hd; d += 4) {
                    int o = d * rp + p;
                    FloatVector a00 = FloatVector.fromArray(S, ot, o), a01 = FloatVector.fromArray(S, ot, o + L);
                    FloatVector a10 = FloatVector.fromArray(S, ot, o + rp), a11 = FloatVector.fromArray(S, ot, o + rp + L);
                    FloatVector a20 = FloatVector.fromArray(S, ot, o + 2 * rp), a21 = FloatVector.fromArray(S, ot, o + 2 * rp + L);
                    FloatVector a30 = FloatVector.fromArray(S, ot, o + 3 * rp), a31 = FloatVector.fromArray(S, ot, o + 3 * rp + L);
                    FloatVector a02 = a00, a03 = a00, a12 = a00, a13 = a00, a22 = a00, a23 = a00, a32 = a00, a33 = a00;
                    if (FOUR) {
                        a02 = FloatVector.fromArray(S, ot, o + 2 * L);
                        a03 = FloatVector.fromArray(S, ot, o + 3 * L);
                        a12 = FloatVector.fromArray(S, ot, o + rp + 2 * L);
                        a13 = FloatVector.fromArray(S, ot, o + rp + 3 * L);
                        a22 = FloatVector.fromArray(S, ot, o + 2 * rp + 2 * L);
                        a23 = FloatVector.fromArray(S, ot, o + 2 * rp + 3 * L);
                        a32 = FloatVector.fromArray(S, ot, o + 3 * rp + 2 * L);
                        a33 = FloatVector.fromArray(S, ot, o + 3 * rp + 3 * L);
                    }
                    for (int j = u0; j < u1; j++) {
                        int w = (j - t0) * rp + p;
                        FloatVector w0 = FloatVector.fromArray(S, st, w);
                        FloatVector w1 = FloatVector.fromArray(S, st, w + L);
                        FloatVector w2 = w0, w3 = w0;
                        if (FOUR) {
                            w2 = FloatVector.fromArray(S, st, w + 2 * L);
                            w3 = FloatVector.fromArray(S, st, w + 3 * L);
                        }
                        int v = j * hd + d;
                        FloatVector b = FloatVector.broadcast(S, values[v]);
                        a00 = w0.fma(b, a00);
                        a01 = w1.fma(b, a01);
                        if (FOUR) {
                            a02 = w2.fma(b, a02);
                            a03 = w3.fma(b, a03);
                        }
                        b = FloatVector.broadcast(S, values[v + 1]);
                        a10 = w0.fma(b, a10);
                        a11 = w1.fma(b, a11);
                        if (FOUR) {
                            a12 = w2.fma(b, a12);
                            a13 = w3.fma(b, a13);
                        }
                        b = FloatVector.broadcast(S, values[v + 2]);
                        a20 = w0.fma(b, a20);
                        a21 = w1.fma(b, a21);
                        if (FOUR) {
                            a22 = w2.fma(b, a22);
                            a23 = w3.fma(b, a23);
                        }
                        b = FloatVector.broadcast(S, values[v + 3]);
                        a30 = w0.fma(b, a30);
                        a31 = w1.fma(b, a31);
                        if (FOUR) {
                            a32 = w2.fma(b, a32);
                            a33 = w3.fma(b, a33);
                        }
                    }
                    a00.intoArray(ot, o);
                    a01.intoArray(ot, o + L);
                    a10.intoArray(ot, o + rp);
                    a11.intoArray(ot, o + rp + L);
                    a20.intoArray(ot, o + 2 * rp);
                    a21.intoArray(ot, o + 2 * rp + L);
                    a30.intoArray(ot, o + 3 * rp);
                    a31.intoArray(ot, o + 3 * rp + L);
                    if (FOUR) {
                        a02.intoArray(ot, o + 2 * L);
                        a03.intoArray(ot, o + 3 * L);
                        a12.intoArray(ot, o + rp + 2 * L);
                        a13.intoArray(ot, o + rp + 3 * L);
                        a22.intoArray(ot, o + 2 * rp + 2 * L);
                        a23.intoArray(ot, o + 2 * rp + 3 * L);
                        a32.intoArray(ot, o + 3 * rp + 2 * L);
                        a33.intoArray(ot, o + 3 * rp + 3 * L);
                    }
                }
                for (; d < hd; d++) {
                    int o = d * rp + p;
                    FloatVector a0 = FloatVector.fromArray(S, ot, o), a1 = FloatVector.fromArray(S, ot, o + L);
                    FloatVector a2 = a0, a3 = a0;
                    if (FOUR) {
                        a2 = FloatVector.fromArray(S, ot, o + 2 * L);
                        a3 = FloatVector.fromArray(S, ot, o + 3 * L);
                    }
                    for (int j = u0; j < u1; j++) {
                        int w = (j - t0) * rp + p;
                        FloatVector b = FloatVector.broadcast(S, values[j * hd + d]);
                        a0 = FloatVector.fromArray(S, st, w).fma(b, a0);
                        a1 = FloatVector.fromArray(S, st, w + L).fma(b, a1);
                        if (FOUR) {
                            a2 = FloatVector.fromArray(S, st, w + 2 * L).fma(b, a2);
                            a3 = FloatVector.fromArray(S, st, w + 3 * L).fma(b, a3);
                        }
                    }
                    a0.intoArray(ot, o);
                    a1.intoArray(ot, o + L);
                    if (FOUR) {
                        a2.intoArray(ot, o + 2 * L);
                        a3.intoArray(ot, o + 3 * L);
                    }
                }
            }
        }
    }

    /**
     * Normalises the exponentials of the single tile into each query's {@code [group][visible]}
     * weights. Goes a sub-tile of keys at a time, so that the column reads stay in L1.
     */
    private static void storeWeights(Scratch s, int rows, int rp, int group, int firstVisible) {
        int end = firstVisible + (rows / group) - 1;
        for (int u0 = 0; u0 < end; u0 += TILE) {
            for (int r = 0; r < rows; r++) {
                int visible = firstVisible + r / group;
                float[] w = s.weights[r / group];
                int wo = (r % group) * visible;
                float inv = 1f / s.sum[r];
                for (int j = u0, u1 = Math.min(visible, u0 + TILE); j < u1; j++) {
                    w[wo + j] = s.st[j * rp + r] * inv;
                }
            }
        }
    }
}
