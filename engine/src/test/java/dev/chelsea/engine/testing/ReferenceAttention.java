package dev.chelsea.engine.testing;

/** Scaled dot-product attention of one query head in float64: the reference the attention kernels are tested against. */
public final class ReferenceAttention {
    private ReferenceAttention() {
    }

    /**
     * Softmax weights of query {@code q[qOff .. qOff + d)} over the first {@code slots} keys
     * ({@code [slots][d]}), logits scaled by {@code 1/sqrt(d)}, plus {@code bias[j]} when given.
     */
    public static double[] weights(float[] q, int qOff, float[] keys, float[] bias, int slots, int d) {
        double[] p = new double[slots];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < slots; j++) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                s += (double) q[qOff + c] * keys[j * d + c];
            }
            p[j] = s / Math.sqrt(d) + (bias == null ? 0 : bias[j]);
            max = Math.max(max, p[j]);
        }
        double sum = 0;
        for (int j = 0; j < slots; j++) {
            p[j] = Math.exp(p[j] - max);
            sum += p[j];
        }
        for (int j = 0; j < slots; j++) {
            p[j] /= sum;
        }
        return p;
    }

    /** The attention output: {@link #weights} applied to the values ({@code [slots][d]}). */
    public static double[] output(float[] q, int qOff, float[] keys, float[] values, float[] bias, int slots, int d) {
        double[] p = weights(q, qOff, keys, bias, slots, d);
        double[] out = new double[d];
        for (int j = 0; j < slots; j++) {
            for (int c = 0; c < d; c++) {
                out[c] += p[j] * values[j * d + c];
            }
        }
        return out;
    }
}
