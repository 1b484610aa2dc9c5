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
     * @param scores   scratch of at least {@code group * slots} floats; on return holds the softmax weights
     * @param out      output; head {@code g} written at {@code outOff + g * headDim}
     */
    public static void attendGroup(float[] q, int qOff, int group, float[] keys, float[] values, float[] bias,
                                   int slots, int headDim, float scale, float[] scores, float[] out, int outOff) {
        for (int g = 0; g < group; g++) {
            int qo = qOff + g * headDim;
            int so = g * slots;
            for (int j = 0; j < slots; j++) {
                scores[so + j] = dot(q, qo, keys, j * headDim, headDim) * scale;
            }
            if (bias != null) {
                for (int j = 0; j < slots; j++) {
                    scores[so + j] += bias[j];
                }
            }
            softmax(scores, so, slots);
            int oo = outOff + g * headDim;
            java.util.Arrays.fill(out, oo, oo + headDim, 0f);
            for (int j = 0; j < slots; j++) {
                axpy(scores[so + j], values, j * headDim, out, oo, headDim);
            }
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
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }
}
