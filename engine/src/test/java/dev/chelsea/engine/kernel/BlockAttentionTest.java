package dev.chelsea.engine.kernel;

import dev.chelsea.engine.testing.ReferenceAttention;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiled prompt attention against float64 causal attention with GQA: head sizes and row counts
 * that are not multiples of the vector length, visible ranges that end inside a tile, with and
 * without the per-slot bias, and the per-query weights against the reference softmax.
 */
class BlockAttentionTest {

    @Test
    void matchesFloat64CausalAttentionWithGqa() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        BlockAttention.Scratch scratch = new BlockAttention.Scratch();
        for (int headDim : new int[] {64, 40, 20}) {
            for (int group : new int[] {1, 4, 7}) {
                for (int trial = 0; trial < 4; trial++) {
                    int n = trial == 0 ? 2 + r.nextInt(8) : 1 + r.nextInt(70);
                    int before = trial == 1 ? 0 : r.nextInt(301);
                    String what = "seed " + seed + ", headDim " + headDim + ", group " + group + ", n " + n + ", before " + before;
                    check(r, scratch, headDim, group, n, before, trial % 2 == 0, trial >= 2, what);
                }
            }
        }
    }

    private static void check(SplittableRandom r, BlockAttention.Scratch scratch, int headDim, int group, int n, int before,
                              boolean withBias, boolean withWeights, String what) {
        int kvHeads = 2, heads = kvHeads * group, slots = before + n;
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] q = random(r, n * heads * headDim, 2);
        float[][] k = new float[kvHeads][], v = new float[kvHeads][], bias = new float[kvHeads][];
        for (int h = 0; h < kvHeads; h++) {
            k[h] = random(r, slots * headDim, 1);
            v[h] = random(r, slots * headDim, 1);
            bias[h] = new float[slots];
            for (int j = 0; j < slots; j++) {
                bias[h][j] = (float) Math.log(1 + r.nextInt(6));
            }
        }
        float[] out = new float[q.length];
        Arrays.fill(out, Float.NaN);
        int perBlock = BlockAttention.queriesPerBlock(group);
        for (int h = 0; h < kvHeads; h++) {
            for (int first = 0; first < n; first += perBlock) {
                int count = Math.min(perBlock, n - first);
                BlockAttention.attend(q, heads, h, group, first, count, before, k[h], v[h], withBias ? bias[h] : null, headDim, scale,
                        out, scratch, withWeights);
                for (int i = first; i < first + count && withWeights; i++) {
                    int visible = before + i + 1;
                    float[] w = scratch.weights(i - first);
                    for (int g = 0; g < group; g++) {
                        double[] p = ReferenceAttention.weights(q, (i * heads + h * group + g) * headDim, k[h], withBias ? bias[h] : null, visible, headDim);
                        for (int j = 0; j < visible; j++) {
                            float got = w[g * visible + j];
                            assertTrue(Math.abs(got - p[j]) <= 1e-5 * p[j] + 1e-9,
                                    what + ": weight of query " + i + " head " + g + " on slot " + j + ": " + got + " vs " + p[j]);
                        }
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int head = 0; head < heads; head++) {
                int h = head / group, off = (i * heads + head) * headDim;
                double[] p = ReferenceAttention.weights(q, off, k[h], withBias ? bias[h] : null, before + i + 1, headDim);
                for (int d = 0; d < headDim; d++) {
                    double ref = 0;
                    for (int j = 0; j < p.length; j++) {
                        ref += p[j] * v[h][j * headDim + d];
                    }
                    float got = out[off + d];
                    assertTrue(Math.abs(got - ref) <= 1e-5 * (1 + Math.abs(ref)),
                            what + ": query " + i + " head " + head + " dim " + d + ": " + got + " vs " + ref);
                }
            }
        }
    }

    private static float[] random(SplittableRandom r, int n, double range) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextDouble(-range, range);
        }
        return x;
    }
}
