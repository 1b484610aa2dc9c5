package dev.chelsea.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

import static dev.chelsea.engine.tensor.PairProducts.SHORTS;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * An {@link InterleavedMatrix} times a batch of quantized vectors ({@link QuantizedActivations},
 * transposed layout): the integer counterpart of {@link PanelMatMul}, with the vectors in the lanes.
 *
 * <p>For each group of rows and chunk of {@link #CHUNK_PAIRS} pairs, the matrix decodes its weight
 * pairs into an int panel ({@link InterleavedMatrix#fillPanel}). For each unit of pairs (those
 * summed in one accumulator), a register-blocked kernel broadcasts the weight pair of each of
 * {@link #ROWS} rows and multiplies it into up to three vectors of activation pairs, each multiply
 * two products per lane (see {@link InterleavedMatrix}), then adds the scaled integer sums to
 * float sums in registers, which it adds to those kept per group at the end. Decoding is paid once per weight whatever the batch;
 * a multiply and an add do 32 products per 16 lanes, where a float FMA does 16 (and only two FMAs
 * issue per cycle, against four integer operations).
 *
 * <p>With {@link PairProducts#INT16} the same lanes are multiplied and summed as 16-bit halves, one
 * product each: the activations' pairs come in that form ({@link QuantizedActivations}), the
 * formats decode the panel's in it ({@link InterleavedMatrix#FLIP}), the accumulators start
 * at zero, and at the end of a unit each lane's two halves are widened and added before the
 * conversion to float.
 */
final class QuantizedPanelMatMul {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final VectorSpecies<Short> P = Simd.P;
    private static final int L = Simd.F_LANES;
    private static final int G = InterleavedMatrix.G;
    /** Rows per kernel call. */
    private static final int ROWS = 4;
    /**
     * Lane vectors per kernel call. Each kernel keeps {@code 4 x WIDE} int accumulators for a unit
     * and as many float sums for the whole panel in registers: 4 x 3 of each fit AVX-512's 32
     * registers. The kernels once kept 4 x 4 int accumulators and added each unit's result to the
     * float sums in memory; the load, add and store after every unit (every 4 pairs for Q6_K) cost
     * more than the wider block saved. Both kernels alone on one core, alternating in one JVM, in G
     * multiplies per second, old 4 x 4 against 4 x 3 with float sums in registers: units of 16
     * pairs 3.89 against 4.52, of 8 3.12 against 3.93, of 4 (Q6_K) 2.37 against 3.19; with offsets,
     * units of 16 3.14 against 4.00 (AMD EPYC, 2026-12-05). With 16 registers (AVX2), 4 x 2 with
     * sums in registers still beat 4 x 2 without by 9-25%.
     */
    private static final int WIDE = L >= 16 ? 3 : 2;
    /** Pairs per panel: 256 values, a multiple of every block, and a panel of 8 KiB at most. */
    private static final int CHUNK_PAIRS = 128;

    /**
     * Whether a batch of one tile of {@code L} vectors (a prompt of {@code L} tokens or fewer) takes
     * eight rows a call ({@link #kernel1x8}): with 32 registers (AVX-512) its 8 int accumulators and
     * 8 float sums fit, and the call pays half the calls and readout loads per row. Q4_0, one core,
     * 2048 x 2048 times 16 vectors: 0.878 and 0.851x the time, 65536 x 2048 from memory 0.880x (12
     * alternating rounds in one JVM); whole 16-token Q4_0 prefills 0.843 and 0.896x
     * ({@code bin/engine-ab --order p --prompt 16}, 12 and 24 rounds; AMD EPYC Zen 5, 2026-12-07).
     * Not for the last tile of a wider batch: 64-token prefills (48 + 16 lanes) took 1.03-1.15x the
     * time in three runs, where two builds of the same engine differed by 6%, and the products alone
     * 0.97-1.03x. With AVX2's 16 registers it would spill: four rows there.
     */
    private static final boolean EIGHT_ROWS = L >= 16;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private QuantizedPanelMatMul() {
    }

    private static final class Scratch {
        final int[] panel = new int[CHUNK_PAIRS * G];
        final float[] scale = new float[CHUNK_PAIRS * G];
        final float[] offset = new float[CHUNK_PAIRS * G];
        float[] sums = new float[0];

        float[] sums(int size) {
            if (sums.length < size) {
                sums = new float[size];
            }
            return sums;
        }
    }

    static int paddedWidth(int n) {
        return (n + L - 1) / L * L;
    }

    /** Lanes {@code [b, b + tileWidth(b, width))} form one tile: {@code 3L} lanes while they fit (AVX-512), then {@code 2L}, then {@code L}. */
    static int tileWidth(int b, int width) {
        int left = width - b;
        if (WIDE == 3 && left >= 3 * L) {
            return 3 * L;
        }
        return left >= 2 * L ? 2 * L : L;
    }

    /** The first lane of the tile holding lane {@code t}. */
    static int tileStart(int t, int width) {
        int b = 0;
        while (b + tileWidth(b, width) <= t) {
            b += tileWidth(b, width);
        }
        return b;
    }

    /** {@code out[outOff + j * outStride + r] = W[r] . vector j} for rows {@code [r0, r1)}. */
    static void multiply(InterleavedMatrix w, QuantizedActivations a, float[] out, int outOff, int outStride, int r0, int r1) {
        Scratch s = SCRATCH.get();
        int width = a.width;
        int pairs = w.cols() / 2;
        int unitPairs = w.unitPairs();
        boolean offsets = w.hasOffsets();
        for (int g = r0 / G; g * G < r1; g++) {
            float[] sums = s.sums(G * width);
            Arrays.fill(sums, 0, G * width, 0f);
            int first = Math.max(r0 - g * G, 0) / ROWS * ROWS;
            int last = Math.min(r1 - g * G, G);
            for (int k0 = 0; k0 < pairs; k0 += CHUNK_PAIRS) {
                int len = Math.min(CHUNK_PAIRS, pairs - k0);
                w.fillPanel(g, k0, len, s.panel, s.scale, s.offset);
                // Tile by tile, then the group's rows: a tile's pairs of this chunk (24 KiB at most)
                // stay in L1 for all of them. Row by row, each call read its tile from L2 (a chunk
                // of 128 vectors is 64 KiB): whole 256-token Q4_0 prefills 0.85-0.90x the time,
                // Q4_K_M 0.93-0.95x (Zen 5, two builds in one JVM). Two groups per tile as well
                // measured 0.94-1.04x against this and was not kept. (InterleavedFloatMatMul's
                // float tiles are twice as large: it goes this way over half chunks.)
                for (int b = 0; b < width; ) {
                    int bw = tileWidth(b, width);
                    int xk = b * pairs + k0 * bw;
                    int dk = b * (pairs / 16) + k0 / 16 * bw;
                    int hk = b * (pairs / 8) + k0 / 8 * bw;
                    for (int r = first; r < last; r += ROWS) {
                        int sOff = r * width + b;
                        if (bw == 3 * L) {
                            kernel3(s.panel, s.scale, s.offset, r, len, unitPairs, offsets, a, xk, dk, hk, sums, sOff, width);
                        } else if (bw == 2 * L) {
                            kernel2(s.panel, s.scale, s.offset, r, len, unitPairs, offsets, a, xk, dk, hk, sums, sOff, width);
                        } else if (EIGHT_ROWS && width == L && r + 2 * ROWS <= last) {
                            kernel1x8(s.panel, s.scale, s.offset, r, len, unitPairs, offsets, a, xk, dk, hk, sums, sOff, width);
                            r += ROWS;
                        } else {
                            kernel1(s.panel, s.scale, s.offset, r, len, unitPairs, offsets, a, xk, dk, hk, sums, sOff, width);
                        }
                    }
                    b += bw;
                }
            }
            // Vector by vector: each vector's rows are adjacent in out (a cache line per group),
            // where row by row every write would touch another line (15% of the time, measured).
            int from = Math.max(r0, g * G);
            int to = Math.min(r1, g * G + G);
            for (int j = 0; j < a.count; j++) {
                int dst = outOff + j * outStride;
                for (int r = from; r < to; r++) {
                    out[dst + r] = sums[(r - g * G) * width + j];
                }
            }
        }
    }

    /**
     * Panel rows {@code [r, r + 4)}, pairs {@code [0, len)}, times the tile of {@code 3L} vectors
     * whose pairs start at {@code a.pairs[xk]} (block scales at {@code a.scales[dk]}, half-block
     * sums at {@code a.sums[hk]}), added to {@code sums[sOff + i * width + lane]}. For each unit the
     * int accumulators start at {@link InterleavedMatrix#ROUND}; after it, row {@code i}'s float sum
     * in a register gains {@code (acc >> 16) * scale * d + offset * sum} (see
     * {@link InterleavedMatrix#fillPanel}; with {@link PairProducts#SHORTS} the accumulators start at zero and
     * the sum of their two widened halves stands for {@code acc >> 16}), and the float sums are
     * added to {@code sums} once, at the end. Everything is written out: a vector passed to a method C2 declines to inline gets boxed.
     */
    private static void kernel3(int[] wp, float[] scale, float[] offset, int r, int len, int unitPairs, boolean offsets,
                                QuantizedActivations a, int xk, int dk, int hk, float[] sums, int sOff, int width) {
        final int bw = 3 * L;
        int[] xp = a.pairs;
        IntVector round = IntVector.broadcast(I, SHORTS ? 0 : InterleavedMatrix.ROUND);
        IntVector sixteen = IntVector.broadcast(I, 16);
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s10 = s00, s11 = s00, s12 = s00, s20 = s00, s21 = s00, s22 = s00, s30 = s00, s31 = s00, s32 = s00;
        for (int u0 = 0, su = r; u0 < len; u0 += unitPairs, su += G) {
            IntVector c00 = round, c01 = round, c02 = round;
            IntVector c10 = round, c11 = round, c12 = round;
            IntVector c20 = round, c21 = round, c22 = round;
            IntVector c30 = round, c31 = round, c32 = round;
            // The loop runs on the activations' offset (as in every kernel here), not on a pair
            // counter with both offsets computed from it: that form spent 13 of the loop's 44
            // instructions on offsets (two reloaded from the stack each pair) and whole 256-token
            // prefills took 1.11x (Q4_0) and 1.12x (Q4_K_M) the time (bin/engine-ab --order p, AMD
            // EPYC Zen 5, 2026-12-08). A counter with both offsets advanced by additions was
            // between the two (a copy of this kernel on data in L1).
            int xo = xk + u0 * bw, wk = u0 * G + r;
            for (int xe = xo + unitPairs * bw; xo < xe; xo += bw, wk += G) {
                IntVector x0 = IntVector.fromArray(I, xp, xo);
                IntVector x1 = IntVector.fromArray(I, xp, xo + L);
                IntVector x2 = IntVector.fromArray(I, xp, xo + 2 * L);
                IntVector w = IntVector.broadcast(I, wp[wk]);
                c00 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c00.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c00);
                c01 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x1.reinterpretShape(P, 0)).add((ShortVector) c01.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x1).add(c01);
                c02 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x2.reinterpretShape(P, 0)).add((ShortVector) c02.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x2).add(c02);
                w = IntVector.broadcast(I, wp[wk + 1]);
                c10 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c10.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c10);
                c11 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x1.reinterpretShape(P, 0)).add((ShortVector) c11.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x1).add(c11);
                c12 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x2.reinterpretShape(P, 0)).add((ShortVector) c12.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x2).add(c12);
                w = IntVector.broadcast(I, wp[wk + 2]);
                c20 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c20.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c20);
                c21 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x1.reinterpretShape(P, 0)).add((ShortVector) c21.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x1).add(c21);
                c22 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x2.reinterpretShape(P, 0)).add((ShortVector) c22.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x2).add(c22);
                w = IntVector.broadcast(I, wp[wk + 3]);
                c30 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c30.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c30);
                c31 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x1.reinterpretShape(P, 0)).add((ShortVector) c31.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x1).add(c31);
                c32 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x2.reinterpretShape(P, 0)).add((ShortVector) c32.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x2).add(c32);
            }
            if (SHORTS) {
                c00 = c00.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c00.lanewise(ASHR, sixteen));
                c01 = c01.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c01.lanewise(ASHR, sixteen));
                c02 = c02.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c02.lanewise(ASHR, sixteen));
                c10 = c10.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c10.lanewise(ASHR, sixteen));
                c11 = c11.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c11.lanewise(ASHR, sixteen));
                c12 = c12.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c12.lanewise(ASHR, sixteen));
                c20 = c20.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c20.lanewise(ASHR, sixteen));
                c21 = c21.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c21.lanewise(ASHR, sixteen));
                c22 = c22.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c22.lanewise(ASHR, sixteen));
                c30 = c30.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c30.lanewise(ASHR, sixteen));
                c31 = c31.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c31.lanewise(ASHR, sixteen));
                c32 = c32.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c32.lanewise(ASHR, sixteen));
            }
            int dOff = dk + u0 / 16 * bw;
            FloatVector d0 = FloatVector.fromArray(F, a.scales, dOff);
            FloatVector d1 = FloatVector.fromArray(F, a.scales, dOff + L);
            FloatVector d2 = FloatVector.fromArray(F, a.scales, dOff + 2 * L);
            FloatVector f = FloatVector.broadcast(F, scale[su]);
            s00 = ((FloatVector) (SHORTS ? c00 : c00.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s00);
            s01 = ((FloatVector) (SHORTS ? c01 : c01.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d1), s01);
            s02 = ((FloatVector) (SHORTS ? c02 : c02.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d2), s02);
            f = FloatVector.broadcast(F, scale[su + 1]);
            s10 = ((FloatVector) (SHORTS ? c10 : c10.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s10);
            s11 = ((FloatVector) (SHORTS ? c11 : c11.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d1), s11);
            s12 = ((FloatVector) (SHORTS ? c12 : c12.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d2), s12);
            f = FloatVector.broadcast(F, scale[su + 2]);
            s20 = ((FloatVector) (SHORTS ? c20 : c20.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s20);
            s21 = ((FloatVector) (SHORTS ? c21 : c21.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d1), s21);
            s22 = ((FloatVector) (SHORTS ? c22 : c22.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d2), s22);
            f = FloatVector.broadcast(F, scale[su + 3]);
            s30 = ((FloatVector) (SHORTS ? c30 : c30.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s30);
            s31 = ((FloatVector) (SHORTS ? c31 : c31.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d1), s31);
            s32 = ((FloatVector) (SHORTS ? c32 : c32.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d2), s32);
            if (offsets) {
                int hOff = hk + u0 / 8 * bw;
                FloatVector e0 = FloatVector.fromArray(F, a.sums, hOff);
                FloatVector e1 = FloatVector.fromArray(F, a.sums, hOff + L);
                FloatVector e2 = FloatVector.fromArray(F, a.sums, hOff + 2 * L);
                if (unitPairs == 16) {
                    e0 = FloatVector.fromArray(F, a.sums, hOff + bw).add(e0);
                    e1 = FloatVector.fromArray(F, a.sums, hOff + bw + L).add(e1);
                    e2 = FloatVector.fromArray(F, a.sums, hOff + bw + 2 * L).add(e2);
                }
                FloatVector m = FloatVector.broadcast(F, offset[su]);
                s00 = e0.fma(m, s00);
                s01 = e1.fma(m, s01);
                s02 = e2.fma(m, s02);
                m = FloatVector.broadcast(F, offset[su + 1]);
                s10 = e0.fma(m, s10);
                s11 = e1.fma(m, s11);
                s12 = e2.fma(m, s12);
                m = FloatVector.broadcast(F, offset[su + 2]);
                s20 = e0.fma(m, s20);
                s21 = e1.fma(m, s21);
                s22 = e2.fma(m, s22);
                m = FloatVector.broadcast(F, offset[su + 3]);
                s30 = e0.fma(m, s30);
                s31 = e1.fma(m, s31);
                s32 = e2.fma(m, s32);
            }
        }
        int o = sOff;
        FloatVector.fromArray(F, sums, o).add(s00).intoArray(sums, o);
        FloatVector.fromArray(F, sums, o + L).add(s01).intoArray(sums, o + L);
        FloatVector.fromArray(F, sums, o + 2 * L).add(s02).intoArray(sums, o + 2 * L);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s10).intoArray(sums, o);
        FloatVector.fromArray(F, sums, o + L).add(s11).intoArray(sums, o + L);
        FloatVector.fromArray(F, sums, o + 2 * L).add(s12).intoArray(sums, o + 2 * L);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s20).intoArray(sums, o);
        FloatVector.fromArray(F, sums, o + L).add(s21).intoArray(sums, o + L);
        FloatVector.fromArray(F, sums, o + 2 * L).add(s22).intoArray(sums, o + 2 * L);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s30).intoArray(sums, o);
        FloatVector.fromArray(F, sums, o + L).add(s31).intoArray(sums, o + L);
        FloatVector.fromArray(F, sums, o + 2 * L).add(s32).intoArray(sums, o + 2 * L);
    }

    /** {@link #kernel3} for a tile of {@code 2L} vectors. */
    private static void kernel2(int[] wp, float[] scale, float[] offset, int r, int len, int unitPairs, boolean offsets,
                                QuantizedActivations a, int xk, int dk, int hk, float[] sums, int sOff, int width) {
        final int bw = 2 * L;
        int[] xp = a.pairs;
        IntVector round = IntVector.broadcast(I, SHORTS ? 0 : InterleavedMatrix.ROUND);
        IntVector sixteen = IntVector.broadcast(I, 16);
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        for (int u0 = 0, su = r; u0 < len; u0 += unitPairs, su += G) {
            IntVector c00 = round, c01 = round;
            IntVector c10 = round, c11 = round;
            IntVector c20 = round, c21 = round;
            IntVector c30 = round, c31 = round;
            int xo = xk + u0 * bw, wk = u0 * G + r;
            for (int xe = xo + unitPairs * bw; xo < xe; xo += bw, wk += G) {
                IntVector x0 = IntVector.fromArray(I, xp, xo);
                IntVector x1 = IntVector.fromArray(I, xp, xo + L);
                IntVector w = IntVector.broadcast(I, wp[wk]);
                c00 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c00.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c00);
                c01 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x1.reinterpretShape(P, 0)).add((ShortVector) c01.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x1).add(c01);
                w = IntVector.broadcast(I, wp[wk + 1]);
                c10 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c10.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c10);
                c11 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x1.reinterpretShape(P, 0)).add((ShortVector) c11.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x1).add(c11);
                w = IntVector.broadcast(I, wp[wk + 2]);
                c20 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c20.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c20);
                c21 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x1.reinterpretShape(P, 0)).add((ShortVector) c21.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x1).add(c21);
                w = IntVector.broadcast(I, wp[wk + 3]);
                c30 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c30.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c30);
                c31 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x1.reinterpretShape(P, 0)).add((ShortVector) c31.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x1).add(c31);
            }
            if (SHORTS) {
                c00 = c00.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c00.lanewise(ASHR, sixteen));
                c01 = c01.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c01.lanewise(ASHR, sixteen));
                c10 = c10.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c10.lanewise(ASHR, sixteen));
                c11 = c11.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c11.lanewise(ASHR, sixteen));
                c20 = c20.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c20.lanewise(ASHR, sixteen));
                c21 = c21.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c21.lanewise(ASHR, sixteen));
                c30 = c30.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c30.lanewise(ASHR, sixteen));
                c31 = c31.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c31.lanewise(ASHR, sixteen));
            }
            int dOff = dk + u0 / 16 * bw;
            FloatVector d0 = FloatVector.fromArray(F, a.scales, dOff);
            FloatVector d1 = FloatVector.fromArray(F, a.scales, dOff + L);
            FloatVector f = FloatVector.broadcast(F, scale[su]);
            s00 = ((FloatVector) (SHORTS ? c00 : c00.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s00);
            s01 = ((FloatVector) (SHORTS ? c01 : c01.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d1), s01);
            f = FloatVector.broadcast(F, scale[su + 1]);
            s10 = ((FloatVector) (SHORTS ? c10 : c10.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s10);
            s11 = ((FloatVector) (SHORTS ? c11 : c11.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d1), s11);
            f = FloatVector.broadcast(F, scale[su + 2]);
            s20 = ((FloatVector) (SHORTS ? c20 : c20.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s20);
            s21 = ((FloatVector) (SHORTS ? c21 : c21.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d1), s21);
            f = FloatVector.broadcast(F, scale[su + 3]);
            s30 = ((FloatVector) (SHORTS ? c30 : c30.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s30);
            s31 = ((FloatVector) (SHORTS ? c31 : c31.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d1), s31);
            if (offsets) {
                int hOff = hk + u0 / 8 * bw;
                FloatVector e0 = FloatVector.fromArray(F, a.sums, hOff);
                FloatVector e1 = FloatVector.fromArray(F, a.sums, hOff + L);
                if (unitPairs == 16) {
                    e0 = FloatVector.fromArray(F, a.sums, hOff + bw).add(e0);
                    e1 = FloatVector.fromArray(F, a.sums, hOff + bw + L).add(e1);
                }
                FloatVector m = FloatVector.broadcast(F, offset[su]);
                s00 = e0.fma(m, s00);
                s01 = e1.fma(m, s01);
                m = FloatVector.broadcast(F, offset[su + 1]);
                s10 = e0.fma(m, s10);
                s11 = e1.fma(m, s11);
                m = FloatVector.broadcast(F, offset[su + 2]);
                s20 = e0.fma(m, s20);
                s21 = e1.fma(m, s21);
                m = FloatVector.broadcast(F, offset[su + 3]);
                s30 = e0.fma(m, s30);
                s31 = e1.fma(m, s31);
            }
        }
        int o = sOff;
        FloatVector.fromArray(F, sums, o).add(s00).intoArray(sums, o);
        FloatVector.fromArray(F, sums, o + L).add(s01).intoArray(sums, o + L);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s10).intoArray(sums, o);
        FloatVector.fromArray(F, sums, o + L).add(s11).intoArray(sums, o + L);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s20).intoArray(sums, o);
        FloatVector.fromArray(F, sums, o + L).add(s21).intoArray(sums, o + L);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s30).intoArray(sums, o);
        FloatVector.fromArray(F, sums, o + L).add(s31).intoArray(sums, o + L);
    }

    /** {@link #kernel3} for a tile of {@code L} vectors. */
    private static void kernel1(int[] wp, float[] scale, float[] offset, int r, int len, int unitPairs, boolean offsets,
                                QuantizedActivations a, int xk, int dk, int hk, float[] sums, int sOff, int width) {
        final int bw = L;
        int[] xp = a.pairs;
        IntVector round = IntVector.broadcast(I, SHORTS ? 0 : InterleavedMatrix.ROUND);
        IntVector sixteen = IntVector.broadcast(I, 16);
        FloatVector s00 = FloatVector.zero(F), s10 = s00, s20 = s00, s30 = s00;
        for (int u0 = 0, su = r; u0 < len; u0 += unitPairs, su += G) {
            IntVector c00 = round;
            IntVector c10 = round;
            IntVector c20 = round;
            IntVector c30 = round;
            int xo = xk + u0 * bw, wk = u0 * G + r;
            for (int xe = xo + unitPairs * bw; xo < xe; xo += bw, wk += G) {
                IntVector x0 = IntVector.fromArray(I, xp, xo);
                IntVector w = IntVector.broadcast(I, wp[wk]);
                c00 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c00.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c00);
                w = IntVector.broadcast(I, wp[wk + 1]);
                c10 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c10.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c10);
                w = IntVector.broadcast(I, wp[wk + 2]);
                c20 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c20.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c20);
                w = IntVector.broadcast(I, wp[wk + 3]);
                c30 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c30.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c30);
            }
            if (SHORTS) {
                c00 = c00.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c00.lanewise(ASHR, sixteen));
                c10 = c10.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c10.lanewise(ASHR, sixteen));
                c20 = c20.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c20.lanewise(ASHR, sixteen));
                c30 = c30.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c30.lanewise(ASHR, sixteen));
            }
            int dOff = dk + u0 / 16 * bw;
            FloatVector d0 = FloatVector.fromArray(F, a.scales, dOff);
            FloatVector f = FloatVector.broadcast(F, scale[su]);
            s00 = ((FloatVector) (SHORTS ? c00 : c00.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s00);
            f = FloatVector.broadcast(F, scale[su + 1]);
            s10 = ((FloatVector) (SHORTS ? c10 : c10.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s10);
            f = FloatVector.broadcast(F, scale[su + 2]);
            s20 = ((FloatVector) (SHORTS ? c20 : c20.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s20);
            f = FloatVector.broadcast(F, scale[su + 3]);
            s30 = ((FloatVector) (SHORTS ? c30 : c30.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s30);
            if (offsets) {
                int hOff = hk + u0 / 8 * bw;
                FloatVector e0 = FloatVector.fromArray(F, a.sums, hOff);
                if (unitPairs == 16) {
                    e0 = FloatVector.fromArray(F, a.sums, hOff + bw).add(e0);
                }
                FloatVector m = FloatVector.broadcast(F, offset[su]);
                s00 = e0.fma(m, s00);
                m = FloatVector.broadcast(F, offset[su + 1]);
                s10 = e0.fma(m, s10);
                m = FloatVector.broadcast(F, offset[su + 2]);
                s20 = e0.fma(m, s20);
                m = FloatVector.broadcast(F, offset[su + 3]);
                s30 = e0.fma(m, s30);
            }
        }
        int o = sOff;
        FloatVector.fromArray(F, sums, o).add(s00).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s10).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s20).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s30).intoArray(sums, o);
    }

    /** {@link #kernel1} for rows {@code [r, r + 8)} ({@link #EIGHT_ROWS}): twice the rows per tile of {@code L} vectors. */
    private static void kernel1x8(int[] wp, float[] scale, float[] offset, int r, int len, int unitPairs, boolean offsets,
                                  QuantizedActivations a, int xk, int dk, int hk, float[] sums, int sOff, int width) {
        final int bw = L;
        int[] xp = a.pairs;
        IntVector round = IntVector.broadcast(I, SHORTS ? 0 : InterleavedMatrix.ROUND);
        IntVector sixteen = IntVector.broadcast(I, 16);
        FloatVector s00 = FloatVector.zero(F), s10 = s00, s20 = s00, s30 = s00, s40 = s00, s50 = s00, s60 = s00, s70 = s00;
        for (int u0 = 0, su = r; u0 < len; u0 += unitPairs, su += G) {
            IntVector c00 = round;
            IntVector c10 = round;
            IntVector c20 = round;
            IntVector c30 = round;
            IntVector c40 = round;
            IntVector c50 = round;
            IntVector c60 = round;
            IntVector c70 = round;
            int xo = xk + u0 * bw, wk = u0 * G + r;
            for (int xe = xo + unitPairs * bw; xo < xe; xo += bw, wk += G) {
                IntVector x0 = IntVector.fromArray(I, xp, xo);
                IntVector w = IntVector.broadcast(I, wp[wk]);
                c00 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c00.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c00);
                w = IntVector.broadcast(I, wp[wk + 1]);
                c10 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c10.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c10);
                w = IntVector.broadcast(I, wp[wk + 2]);
                c20 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c20.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c20);
                w = IntVector.broadcast(I, wp[wk + 3]);
                c30 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c30.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c30);
                w = IntVector.broadcast(I, wp[wk + 4]);
                c40 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c40.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c40);
                w = IntVector.broadcast(I, wp[wk + 5]);
                c50 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c50.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c50);
                w = IntVector.broadcast(I, wp[wk + 6]);
                c60 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c60.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c60);
                w = IntVector.broadcast(I, wp[wk + 7]);
                c70 = SHORTS ? (IntVector) ((ShortVector) w.reinterpretShape(P, 0)).mul((ShortVector) x0.reinterpretShape(P, 0)).add((ShortVector) c70.reinterpretShape(P, 0)).reinterpretShape(I, 0) : w.mul(x0).add(c70);
            }
            if (SHORTS) {
                c00 = c00.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c00.lanewise(ASHR, sixteen));
                c10 = c10.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c10.lanewise(ASHR, sixteen));
                c20 = c20.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c20.lanewise(ASHR, sixteen));
                c30 = c30.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c30.lanewise(ASHR, sixteen));
                c40 = c40.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c40.lanewise(ASHR, sixteen));
                c50 = c50.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c50.lanewise(ASHR, sixteen));
                c60 = c60.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c60.lanewise(ASHR, sixteen));
                c70 = c70.lanewise(LSHL, sixteen).lanewise(ASHR, sixteen).add(c70.lanewise(ASHR, sixteen));
            }
            int dOff = dk + u0 / 16 * bw;
            FloatVector d0 = FloatVector.fromArray(F, a.scales, dOff);
            FloatVector f = FloatVector.broadcast(F, scale[su]);
            s00 = ((FloatVector) (SHORTS ? c00 : c00.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s00);
            f = FloatVector.broadcast(F, scale[su + 1]);
            s10 = ((FloatVector) (SHORTS ? c10 : c10.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s10);
            f = FloatVector.broadcast(F, scale[su + 2]);
            s20 = ((FloatVector) (SHORTS ? c20 : c20.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s20);
            f = FloatVector.broadcast(F, scale[su + 3]);
            s30 = ((FloatVector) (SHORTS ? c30 : c30.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s30);
            f = FloatVector.broadcast(F, scale[su + 4]);
            s40 = ((FloatVector) (SHORTS ? c40 : c40.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s40);
            f = FloatVector.broadcast(F, scale[su + 5]);
            s50 = ((FloatVector) (SHORTS ? c50 : c50.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s50);
            f = FloatVector.broadcast(F, scale[su + 6]);
            s60 = ((FloatVector) (SHORTS ? c60 : c60.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s60);
            f = FloatVector.broadcast(F, scale[su + 7]);
            s70 = ((FloatVector) (SHORTS ? c70 : c70.lanewise(ASHR, sixteen)).convertShape(I2F, F, 0)).fma(f.mul(d0), s70);
            if (offsets) {
                int hOff = hk + u0 / 8 * bw;
                FloatVector e0 = FloatVector.fromArray(F, a.sums, hOff);
                if (unitPairs == 16) {
                    e0 = FloatVector.fromArray(F, a.sums, hOff + bw).add(e0);
                }
                FloatVector m = FloatVector.broadcast(F, offset[su]);
                s00 = e0.fma(m, s00);
                m = FloatVector.broadcast(F, offset[su + 1]);
                s10 = e0.fma(m, s10);
                m = FloatVector.broadcast(F, offset[su + 2]);
                s20 = e0.fma(m, s20);
                m = FloatVector.broadcast(F, offset[su + 3]);
                s30 = e0.fma(m, s30);
                m = FloatVector.broadcast(F, offset[su + 4]);
                s40 = e0.fma(m, s40);
                m = FloatVector.broadcast(F, offset[su + 5]);
                s50 = e0.fma(m, s50);
                m = FloatVector.broadcast(F, offset[su + 6]);
                s60 = e0.fma(m, s60);
                m = FloatVector.broadcast(F, offset[su + 7]);
                s70 = e0.fma(m, s70);
            }
        }
        int o = sOff;
        FloatVector.fromArray(F, sums, o).add(s00).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s10).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s20).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s30).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s40).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s50).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s60).intoArray(sums, o);
        o += width;
        FloatVector.fromArray(F, sums, o).add(s70).intoArray(sums, o);
    }

}
