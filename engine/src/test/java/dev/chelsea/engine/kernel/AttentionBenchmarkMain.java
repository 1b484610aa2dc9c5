package dev.chelsea.engine.kernel;

import java.util.SplittableRandom;

/**
 * A quick timing harness, not a test: one thread attends a batch of {@code n} queries (the query
 * heads of one KV head) at a context depth, query by query with {@link Attention#attendGroup} (and
 * {@link HalfAttention#attendGroup} on the same cache in half floats) and tiled with {@link BlockAttention}. Run after {@code mvn test-compile}:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes \
 *     dev.chelsea.engine.kernel.AttentionBenchmarkMain [n=1,2,4,16,128] [depth=4096] [group=4] [headDim=64]
 * </pre>
 *
 * Reports the best of several short rounds, in GFLOP/s of the two products (4 flops per query
 * head, slot and head dimension), so that depths and batch sizes compare.
 */
public final class AttentionBenchmarkMain {
    private AttentionBenchmarkMain() {
    }

    public static void main(String[] args) {
        int[] counts = ints(arg(args, 0, "1,2,4,16,128"));
        int depth = Integer.parseInt(arg(args, 1, "4096"));
        int group = Integer.parseInt(arg(args, 2, "4"));
        int hd = Integer.parseInt(arg(args, 3, "64"));
        System.out.printf("depth %d, group %d, head size %d, 1 thread%n%6s %14s %14s %14s%n", depth, group, hd, "n", "query GFLOP/s",
                "half GFLOP/s", "tiled GFLOP/s");
        for (int n : counts) {
            SplittableRandom r = new SplittableRandom(42);
            int slots = depth + n;
            float[] q = random(r, n * group * hd), k = random(r, slots * hd), v = random(r, slots * hd), out = new float[q.length];
            float[] scores = new float[group * slots];
            short[] kh = new short[HalfAttention.keyLength(slots, hd)], vh = new short[v.length];
            for (int j = 0; j < slots; j++) {
                HalfAttention.narrowKey(k, j * hd, kh, j, hd);
            }
            HalfAttention.narrow(v, 0, vh, 0, v.length);
            float scale = (float) (1 / Math.sqrt(hd));
            BlockAttention.Scratch s = new BlockAttention.Scratch();
            int perBlock = BlockAttention.queriesPerBlock(group);
            double flops = 4.0 * group * hd * ((double) depth * n + n * (n + 1) / 2.0);
            double perQuery = flops / best(() -> {
                for (int i = 0; i < n; i++) {
                    Attention.attendGroup(q, i * group * hd, group, k, v, null, depth + i + 1, hd, scale, scores, out, i * group * hd);
                }
            });
            double half = flops / best(() -> {
                for (int i = 0; i < n; i++) {
                    HalfAttention.attendGroup(q, i * group * hd, group, kh, vh, null, depth + i + 1, hd, scale, scores, out, i * group * hd);
                }
            });
            double tiled = flops / best(() -> {
                for (int first = 0; first < n; first += perBlock) {
                    BlockAttention.attend(q, group, 0, group, first, Math.min(perBlock, n - first), depth, k, v, null, hd, scale, out, s, false);
                }
            });
            System.out.printf("%6d %14.1f %14.1f %14.1f%n", n, perQuery / 1e9, half / 1e9, tiled / 1e9);
        }
    }

    /** Warms up for a second, then returns the best of eight rounds of about 100 ms, in seconds per call. */
    private static double best(Runnable body) {
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < warmEnd) {
            body.run();
        }
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 8; round++) {
            int calls = 0;
            long t0 = System.nanoTime(), t;
            do {
                body.run();
                calls++;
                t = System.nanoTime();
            } while (t - t0 < 100_000_000L);
            best = Math.min(best, (t - t0) / 1e9 / calls);
        }
        return best;
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextDouble(-1, 1);
        }
        return x;
    }

    private static String arg(String[] args, int i, String def) {
        return args.length > i ? args[i] : def;
    }

    private static int[] ints(String s) {
        String[] parts = s.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Integer.parseInt(parts[i].trim());
        }
        return out;
    }
}
