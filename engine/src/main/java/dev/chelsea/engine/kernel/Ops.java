package dev.chelsea.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise kernels of the transformer block. Each works on one row; callers loop over rows. */
public final class Ops {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Ops() {
    }

    /** {@code out[o..o+n) = x[xo..xo+n) / rms(x) * w[wo..wo+n)}; in place when out == x. */
    public static void rmsNorm(float[] out, int o, float[] x, int xo, float[] w, int wo, int n, float eps) {
        int i = 0;
        float ss;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.zero(S);
            int upper = S.loopBound(n);
            for (; i < upper; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                acc = v.fma(v, acc);
            }
            ss = acc.reduceLanes(VectorOperators.ADD);
        } else {
            ss = 0f;
        }
        for (; i < n; i++) {
            ss += x[xo + i] * x[xo + i];
        }
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        i = 0;
        if (n >= S.length()) {
            int upper = S.loopBound(n);
            for (; i < upper; i += S.length()) {
                FloatVector.fromArray(S, x, xo + i).mul(scale).mul(FloatVector.fromArray(S, w, wo + i)).intoArray(out, o + i);
            }
        }
        for (; i < n; i++) {
            out[o + i] = x[xo + i] * scale * w[wo + i];
        }
    }

    /** {@code y[yo..yo+n) += x[xo..xo+n)}. */
    public static void add(float[] y, int yo, float[] x, int xo, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, y, yo + i).add(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += x[xo + i];
        }
    }

    /**
     * {@code gate[i] = silu(gate[i]) * up[i]} over {@code [from, to)}. Vectorised: a prompt batch
     * has a million of these per layer, and one scalar {@code exp} each cost 6% of prefill.
     */
    public static void siluMul(float[] gate, float[] up, int from, int to) {
        int i = from;
        for (; i + S.length() <= to; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            FloatVector e = g.neg().lanewise(VectorOperators.EXP);
            g.div(e.add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
        }
        for (; i < to; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    /**
     * Rotary embedding of one head in place. {@code neox}: pairs {@code (i, i + dim/2)} (GPT-NeoX,
     * Qwen); otherwise adjacent pairs {@code (2i, 2i+1)} (llama.cpp's layout for Llama, whose
     * converter permutes Q and K accordingly). {@code cos}/{@code sin} hold {@code ropeDim/2} values
     * for this position; dimensions beyond {@code ropeDim} are left as they are.
     */
    public static void rope(float[] x, int off, int ropeDim, boolean neox, float[] cos, float[] sin, int csOff) {
        int half = ropeDim / 2;
        if (neox) {
            for (int i = 0; i < half; i++) {
                float a = x[off + i], b = x[off + i + half];
                float c = cos[csOff + i], s = sin[csOff + i];
                x[off + i] = a * c - b * s;
                x[off + i + half] = a * s + b * c;
            }
        } else {
            for (int i = 0; i < half; i++) {
                float a = x[off + 2 * i], b = x[off + 2 * i + 1];
                float c = cos[csOff + i], s = sin[csOff + i];
                x[off + 2 * i] = a * c - b * s;
                x[off + 2 * i + 1] = a * s + b * c;
            }
        }
    }

    /** Index (relative to {@code off}) of the largest of {@code x[off .. off + n)}, the lowest on ties: the greedy choice. */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
