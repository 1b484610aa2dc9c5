package dev.chelsea.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention of the query heads of one GQA group against one KV head.
 * Keys are read once for the whole group, which is what bounds decode speed at long context.
 * An optional per-slot bias ({@code log(size)} for merged KV entries) is added to the logits.
 */
public final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Attention() {
    }

    /**
     * @param q        queries; head {@code g} of the group starts at {@code qOff + g * headDim}
     * @param group    query heads sharing this KV head
     * @param keys     {@code [slots][headDim]}
     * @param values   {@code [slots][headDim]}
     * @param bias     per-slot additive logit bias, or null
     * @param slots    slots to attend to (the causal limit)
     * @param scores   scratch of at least {@code group * slots} floats; on return holds the softmax weights.
     *                 Give it a float vector's length more: C2 may check a store of a whole vector
     *                 from a block's first slot before the loop over query heads, and recompile
     *                 when that check fails (see {@code CpuKvStore.scratch})
     * @param out      output; head {@code g} written at {@code outOff + g * headDim}
     */
    public static void attendGroup(float[] q, int qOff, int group, float[] keys, float[] values, float[] bias,
                                   int slots, int headDim, float scale, float[] scores, float[] out, int outOff) {
        boolean vector = headDim % S.length() == 0;
        // Every key and value row is read once for the whole group: at long context the cache does
        // not fit in any cache level, so reading it once per query head would multiply the traffic.
        if (vector) {
            scoresVector(q, qOff, group, keys, slots, headDim, scale, scores);
        } else {
            for (int j = 0; j < slots; j++) {
                for (int g = 0; g < group; g++) {
                    scores[g * slots + j] = dot(q, qOff + g * headDim, keys, j * headDim, headDim) * scale;
                }
            }
        }
        for (int g = 0; g < group; g++) {
            if (bias != null) {
                add(scores, g * slots, bias, slots);
            }
            softmax(scores, g * slots, slots);
        }
        java.util.Arrays.fill(out, outOff, outOff + group * headDim, 0f);
        // Tile by tile, so that a tile's values come from memory once and from L1 for the other heads.
        for (int t0 = 0; t0 < slots; t0 += VALUE_TILE) {
            int n = Math.min(VALUE_TILE, slots - t0);
            for (int g = 0; g < group; g++) {
                weightedSum(scores, g * slots + t0, values, t0 * headDim, n, headDim, out, outOff + g * headDim);
            }
        }
    }

    /** Slots of values a group's heads go through together: 64 rows of 64 floats are 16 KiB. */
    private static final int VALUE_TILE = 64;

    /**
     * {@code out[outOff + i] += sum over j < n of w[wOff + j] * x[xOff + j * d + i]} for {@code i < d},
     * each element summed in the order of {@code j}. Four vectors of the output stay in registers
     * across the rows: adding row by row into memory ({@link #axpy} per slot) loaded and stored
     * every output vector once per slot and query head, twice the operations of the products.
     */
    public static void weightedSum(float[] w, int wOff, float[] x, int xOff, int n, int d, float[] out, int outOff) {
        int lanes = S.length();
        int i = 0;
        for (; i + 4 * lanes <= d; i += 4 * lanes) {
            FloatVector a0 = FloatVector.fromArray(S, out, outOff + i);
            FloatVector a1 = FloatVector.fromArray(S, out, outOff + i + lanes);
            FloatVector a2 = FloatVector.fromArray(S, out, outOff + i + 2 * lanes);
            FloatVector a3 = FloatVector.fromArray(S, out, outOff + i + 3 * lanes);
            for (int j = 0; j < n; j++) {
                FloatVector p = FloatVector.broadcast(S, w[wOff + j]);
                int xo = xOff + j * d + i;
                a0 = FloatVector.fromArray(S, x, xo).fma(p, a0);
                a1 = FloatVector.fromArray(S, x, xo + lanes).fma(p, a1);
                a2 = FloatVector.fromArray(S, x, xo + 2 * lanes).fma(p, a2);
                a3 = FloatVector.fromArray(S, x, xo + 3 * lanes).fma(p, a3);
            }
            a0.intoArray(out, outOff + i);
            a1.intoArray(out, outOff + i + lanes);
            a2.intoArray(out, outOff + i + 2 * lanes);
            a3.intoArray(out, outOff + i + 3 * lanes);
        }
        for (; i + lanes <= d; i += lanes) {
            FloatVector a = FloatVector.fromArray(S, out, outOff + i);
            for (int j = 0; j < n; j++) {
                a = FloatVector.fromArray(S, x, xOff + j * d + i).fma(FloatVector.broadcast(S, w[wOff + j]), a);
            }
            a.intoArray(out, outOff + i);
        }
        for (; i < d; i++) {
            float sum = out[outOff + i];
            for (int j = 0; j < n; j++) {
                sum += w[wOff + j] * x[xOff + j * d + i];
            }
            out[outOff + i] = sum;
        }
    }

    /** Scores of every query of the group against every key, for head sizes that are a multiple of the vector length. */
    private static void scoresVector(float[] q, int qOff, int group, float[] keys, int slots, int d, float scale, float[] scores) {
        int lanes = S.length();
        for (int j = 0; j < slots; j++) {
            int ko = j * d;
            for (int g = 0; g < group; g++) {
                int qo = qOff + g * d;
                FloatVector acc = FloatVector.fromArray(S, q, qo).mul(FloatVector.fromArray(S, keys, ko));
                for (int i = lanes; i < d; i += lanes) {
                    acc = FloatVector.fromArray(S, q, qo + i).fma(FloatVector.fromArray(S, keys, ko + i), acc);
                }
                scores[g * slots + j] = acc.reduceLanes(VectorOperators.ADD) * scale;
            }
        }
    }

    private static void add(float[] x, int off, float[] y, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, off + i).add(FloatVector.fromArray(S, y, i)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] += y[i];
        }
    }

    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float sum;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.zero(S);
            int upper = S.loopBound(n);
            for (; i < upper; i += S.length()) {
                acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        } else {
            sum = 0f;
        }
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** {@code y[yOff..] += a * x[xOff..]} over n values. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (n >= S.length()) {
            FloatVector va = FloatVector.broadcast(S, a);
            int upper = S.loopBound(n);
            for (; i < upper; i += S.length()) {
                FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    /** In-place numerically stable softmax of {@code x[off .. off + n)}. */
    public static void softmax(float[] x, int off, int n) {
        int upper = S.loopBound(n);
        int i = 0;
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < upper; i += S.length()) {
            vmax = vmax.max(FloatVector.fromArray(S, x, off + i));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        FloatVector vsum = FloatVector.zero(S);
        i = 0;
        for (; i < upper; i += S.length()) {
            FloatVector e = FloatVector.fromArray(S, x, off + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, off + i);
            vsum = vsum.add(e);
        }
        float sum = vsum.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        i = 0;
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, off + i).mul(inv).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= inv;
        }
    }
}
