import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.ADD;

/**
 * How fast this processor (the one the JVM is pinned to, see bin/cpu-probe) runs the batch kernels'
 * instruction mix now: twelve independent 32-bit vector multiply-adds per step, one operand
 * broadcast from memory (as {@code QuantizedPanelMatMul.kernel3} does), against a scalar chain whose
 * time is its latency. On shared virtual machines one virtual core ran the batch kernels 1.4 times
 * slower than the other for minutes while scalar chains ran alike on both (a busy neighbour on the
 * same physical core takes vector issue slots, not latency): docs/performance.md, twenty-fourth session.
 * Prints one line: {@code simd G-multiplies/ns scalar ns/step}.
 */
public class CpuProbe {
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static long sink;

    public static void main(String[] args) {
        int millis = args.length > 0 ? Integer.parseInt(args[0]) : 700;
        int[] w = new int[2048];
        int[] x = new int[6144];
        for (int i = 0; i < w.length; i++) {
            w[i] = i * 0x9E3779B1;
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0x85EBCA6B;
        }
        for (int i = 0; i < 20; i++) {
            simd(w, x, 1 << 16);
            scalar(1 << 20);
        }
        double simd = rate(() -> simd(w, x, 1 << 18), 12.0 * (1 << 18) * I.length(), millis);
        double scalar = 1 / rate(() -> scalar(1 << 24), 1 << 24, millis);
        System.out.printf("simd %.2f G-multiplies/ns  scalar %.3f ns/step%n", simd, scalar);
        if (sink == 42) {
            System.out.println();
        }
    }

    /**
     * Units of work per nanosecond, the median of runs over about {@code millis} (the best would hide
     * a neighbour that is busy most of the time but not all of it).
     */
    static double rate(Runnable r, double units, int millis) {
        java.util.List<Double> rates = new java.util.ArrayList<>();
        long end = System.nanoTime() + millis * 1_000_000L;
        do {
            long t0 = System.nanoTime();
            r.run();
            rates.add(units / (System.nanoTime() - t0));
        } while (System.nanoTime() < end);
        java.util.Collections.sort(rates);
        return rates.get(rates.size() / 2);
    }

    /** The kernel's loop: four weights broadcast from an 8 KiB panel, three vectors from a 24 KiB tile, twelve multiply-adds. */
    static void simd(int[] w, int[] x, int steps) {
        int tile = x.length - 3 * I.length();
        IntVector c00 = IntVector.zero(I), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        IntVector c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        for (int k = 0, xo = 0; k < steps; k++, xo = xo >= tile ? 0 : xo + 3 * I.length()) {
            IntVector x0 = IntVector.fromArray(I, x, xo), x1 = IntVector.fromArray(I, x, xo + I.length()), x2 = IntVector.fromArray(I, x, xo + 2 * I.length());
            int at = (4 * k) & (w.length - 4);
            IntVector v = IntVector.broadcast(I, w[at]);
            c00 = v.mul(x0).add(c00);
            c01 = v.mul(x1).add(c01);
            c02 = v.mul(x2).add(c02);
            v = IntVector.broadcast(I, w[at + 1]);
            c10 = v.mul(x0).add(c10);
            c11 = v.mul(x1).add(c11);
            c12 = v.mul(x2).add(c12);
            v = IntVector.broadcast(I, w[at + 2]);
            c20 = v.mul(x0).add(c20);
            c21 = v.mul(x1).add(c21);
            c22 = v.mul(x2).add(c22);
            v = IntVector.broadcast(I, w[at + 3]);
            c30 = v.mul(x0).add(c30);
            c31 = v.mul(x1).add(c31);
            c32 = v.mul(x2).add(c32);
        }
        sink += c00.add(c01).add(c02).add(c10).add(c11).add(c12).add(c20).add(c21).add(c22).add(c30).add(c31).add(c32).reduceLanes(ADD);
    }

    static void scalar(int steps) {
        long s = sink | 1;
        for (int i = 0; i < steps; i++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            s ^= s >>> 29;
        }
        sink += s;
    }
}
