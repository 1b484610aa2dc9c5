package dev.chelsea.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Element-wise kernels and attention against float64 references, at sizes around the vector width. */
class OpsTest {
    private static final int[] SIZES = {1, 3, 8, 15, 16, 17, 31, 33, 64, 100, 257};

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @Test
    void rmsNorm() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : SIZES) {
            float[] x = random(r, n + 3), w = random(r, n);
            float[] out = new float[n + 1];
            Ops.rmsNorm(out, 1, x, 3, w, 0, n, 1e-5f);
            double ss = 0;
            for (int i = 0; i < n; i++) {
                ss += (double) x[3 + i] * x[3 + i];
            }
            double scale = 1 / Math.sqrt(ss / n + 1e-5);
            for (int i = 0; i < n; i++) {
                assertEquals(x[3 + i] * scale * w[i], out[1 + i], 1e-5 * (1 + Math.abs(x[3 + i] * scale * w[i])), "seed " + seed + " n " + n);
            }
        }
    }

    @Test
    void ropeBothLayouts() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        int d = 16, half = 8;
        float[] cos = new float[half], sin = new float[half];
        double[] ang = new double[half];
        for (int i = 0; i < half; i++) {
            ang[i] = r.nextDouble() * 6;
            cos[i] = (float) Math.cos(ang[i]);
            sin[i] = (float) Math.sin(ang[i]);
        }
        for (boolean neox : new boolean[] {false, true}) {
            float[] x = random(r, d);
            float[] y = x.clone();
            Ops.rope(y, 0, d, neox, cos, sin, 0);
            for (int i = 0; i < half; i++) {
                int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
                double ea = x[a] * Math.cos(ang[i]) - x[b] * Math.sin(ang[i]);
                double eb = x[a] * Math.sin(ang[i]) + x[b] * Math.cos(ang[i]);
                assertEquals(ea, y[a], 1e-5, "seed " + seed);
                assertEquals(eb, y[b], 1e-5, "seed " + seed);
            }
        }
    }

    @Test
    void addAndSiluMul() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : SIZES) {
            float[] y = random(r, n), x = random(r, n), y0 = y.clone();
            Ops.add(y, 0, x, 0, n);
            float[] g = random(r, n), u = random(r, n);
            // Large gates too, where exp(-g) overflows or vanishes: silu must go to 0 and to g.
            for (int i = 0; i < n; i += 3) {
                g[i] *= 120;
            }
            float[] g0 = g.clone();
            Ops.siluMul(g, u, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(y0[i] + x[i], y[i], 1e-6);
                assertEquals(g0[i] / (1 + Math.exp(-g0[i])) * u[i], g[i], 1e-5 * (1 + Math.abs(g[i])), "seed " + seed);
            }
        }
    }

    @Test
    void attentionGroupWithBias() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        // Slot counts around the value tile (64), head sizes around four vectors of any width.
        for (int d : new int[] {8, 17, 64, 80, 128}) {
            for (int slots : new int[] {37, 64, 65, 200}) {
                int group = 3;
                float[] q = random(r, group * d), k = random(r, slots * d), v = random(r, slots * d), bias = random(r, slots);
                float[] out = new float[group * d], scratch = new float[group * slots];
                float scale = (float) (1 / Math.sqrt(d));
                Attention.attendGroup(q, 0, group, k, v, bias, slots, d, scale, scratch, out, 0);
                for (int g = 0; g < group; g++) {
                    double[] s = new double[slots];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < slots; j++) {
                        double dot = 0;
                        for (int i = 0; i < d; i++) {
                            dot += (double) q[g * d + i] * k[j * d + i];
                        }
                        s[j] = dot * scale + bias[j];
                        max = Math.max(max, s[j]);
                    }
                    for (int j = 0; j < slots; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int i = 0; i < d; i++) {
                        double o = 0;
                        for (int j = 0; j < slots; j++) {
                            o += s[j] / sum * v[j * d + i];
                        }
                        assertEquals(o, out[g * d + i], 1e-5, "seed " + seed + " d " + d + " slots " + slots);
                    }
                }
            }
        }
    }

    @Test
    void parallelCoversEveryIndexOnce() {
        for (int threads : new int[] {1, 2, 3}) {
            try (Parallel p = new Parallel(threads)) {
                for (int n : new int[] {0, 1, 5, 16, 17, 1000}) {
                    int[] hits = new int[n];
                    p.forRange(n, 16, (a, b) -> {
                        for (int i = a; i < b; i++) {
                            hits[i]++;
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits[i], "threads " + threads + " n " + n + " i " + i);
                    }
                }
            }
        }
    }
}
