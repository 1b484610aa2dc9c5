package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelConfig;
import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.gguf.GgufTensorInfo;
import jcuda.driver.CUdeviceptr;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * How to launch each kernel of {@code src/main/cuda} (its README is the contract): names, grids,
 * block sizes and shared memory in one place, so the forward pass reads as a list of operations.
 * Every launch is checked against the PTX's parameter lists by {@code KernelCallsTest}.
 */
final class KernelCalls {
    static final int MATVEC_THREADS = 256, MATVEC_ROWS = MATVEC_THREADS / 32;
    static final int GEMM_THREADS = 128, GEMM_TILE = 64;
    static final int ROWS_THREADS = 128, ROWS_VALUES = ROWS_THREADS * 8;
    static final int NORM_THREADS = 256, ELEM_THREADS = 256, ATTN_THREADS = 128, ATTN_WARPS = ATTN_THREADS / 32;
    static final int ARGMAX_THREADS = 1024;
    static final int CLUSTER_THREADS = 128, SELECT_THREADS = 256;
    /** Chelsea's chunk size on the device: a chunk's inverse key norms sit in shared memory. */
    static final int CLUSTER_MAX_CHUNK = 1024;
    /** The kernels of one merge pass (cluster.cu), loaded with every model. */
    static final Set<String> CLUSTER_KERNELS = Set.of("chelsea_cluster_score", "chelsea_cluster_select",
            "chelsea_cluster_merge", "chelsea_cluster_compact");
    /** Grid-stride kernels run at most this many blocks: enough to fill any GPU, few enough to stay cheap for small arrays. */
    static final int MAX_STRIDE_BLOCKS = 1024;

    private final int multiprocessors;

    KernelCalls(int multiprocessors) {
        this.multiprocessors = multiprocessors;
    }

    /** The suffix of a storage type's kernels: {@code q8_0}, {@code q4_k}, {@code bf16}. */
    static String suffix(GgmlType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    /** Whether x is quantized to 8 bits in shared memory by the matrix-vector kernel (the block formats). */
    static boolean quantizesActivations(GgmlType type) {
        return type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16;
    }

    /** Every kernel a model's forward pass launches, looked up when the module loads. */
    static Set<String> kernelsFor(ModelWeights w) {
        ModelConfig c = w.config;
        Set<String> names = new LinkedHashSet<>();
        names.add("chelsea_get_rows_" + suffix(w.tokenEmbedding.type()));
        Set<GgmlType> types = new LinkedHashSet<>();
        types.add(w.output.type());
        for (ModelWeights.Layer l : w.layers) {
            for (GgufTensorInfo t : new GgufTensorInfo[]{l.wq, l.wk, l.wv, l.wo, l.gate, l.up, l.down}) {
                types.add(t.type());
            }
        }
        for (GgmlType t : types) {
            names.add("chelsea_matvec_" + suffix(t));
            names.add("chelsea_gemm_" + suffix(t));
        }
        names.add("chelsea_rmsnorm");
        names.add("chelsea_rope");
        names.add("chelsea_add_bias");
        names.add("chelsea_silu_mul");
        names.add("chelsea_argmax");
        names.add("chelsea_kv_append");
        names.add("chelsea_kv_move");
        names.addAll(CLUSTER_KERNELS);
        names.add("chelsea_attn_combine");
        names.add(attentionKernel("decode", c.headDim(), c.heads() / c.kvHeads()));
        names.add(attentionKernel("prefill", c.headDim(), c.heads() / c.kvHeads()));
        return names;
    }

    /**
     * The attention kernel for a head size (classes of 32, 64, 128, 256) and a GQA group: query
     * heads done per pass over the slots, 1, 2, 4 or 8 (4 at most for 256-wide heads, whose
     * accumulators would not fit the registers), larger groups in several passes.
     */
    static String attentionKernel(String kind, int headDim, int group) {
        int hd = 32;
        while (hd < headDim) {
            hd *= 2;
        }
        if (hd > 256) {
            throw new IllegalArgumentException("head size " + headDim + " is above the kernels' 256");
        }
        int most = hd == 256 ? 4 : 8;
        int g = 1;
        while (g < group && g < most) {
            g *= 2;
        }
        return "chelsea_attn_" + kind + "_hd" + hd + "_g" + g;
    }

    private static int ceil(long a, long b) {
        return (int) ((a + b - 1) / b);
    }

    private static int strideBlocks(long total) {
        return (int) Math.max(1, Math.min(ceil(total, ELEM_THREADS), MAX_STRIDE_BLOCKS));
    }

    /** {@code out[t] = dequantized row tokens[t]} of the embedding. */
    Launch getRows(DeviceWeights.Matrix w, CUdeviceptr tokens, CUdeviceptr out, int t) {
        return new Launch("chelsea_get_rows_" + suffix(w.type()), ceil(w.cols(), ROWS_VALUES), t, 1, ROWS_THREADS, 0,
                new KernelArgs().ptr(w.data().ptr()).ptr(tokens).ptr(out).i32(t).i32(w.rows()).i32(w.cols()));
    }

    /**
     * {@code y[t][r] = W[r] . x[t]} for {@code t} vectors: the memory-bound matrix-vector kernel for
     * one vector (decode), the tensor-core kernel for a batch.
     */
    Launch matmul(DeviceWeights.Matrix w, CUdeviceptr x, CUdeviceptr y, int t) {
        return matmul(w, x, y, t, false);
    }

    /**
     * The same product, added to {@code y} when {@code accumulate}: the O and down projections add
     * straight into the residual stream, with no separate add kernel.
     */
    Launch matmul(DeviceWeights.Matrix w, CUdeviceptr x, CUdeviceptr y, int t, boolean accumulate) {
        KernelArgs args = new KernelArgs().ptr(w.data().ptr()).ptr(x).ptr(y).i32(w.rows()).i32(w.cols());
        int acc = accumulate ? 1 : 0;
        if (t == 1) {
            // A grid-stride loop over rows: each block quantizes x once, so a few blocks per
            // multiprocessor beat one block per 8 rows (128K-row output matrix: 16K copies of x).
            int blocks = Math.min(ceil(w.rows(), MATVEC_ROWS), multiprocessors * 8);
            int shared = quantizesActivations(w.type()) ? w.cols() + w.cols() / 32 * 8 : 0;
            return new Launch("chelsea_matvec_" + suffix(w.type()), blocks, 1, 1, MATVEC_THREADS, shared, args.i32(acc));
        }
        return new Launch("chelsea_gemm_" + suffix(w.type()), ceil(t, GEMM_TILE), ceil(w.rows(), GEMM_TILE), 1, GEMM_THREADS, 0,
                args.i32(t).i32(acc));
    }

    /** {@code y[r] = x[r] / rms(x[r]) * w} for {@code rows} rows of {@code dim}; {@code y} may be {@code x}. */
    Launch rmsNorm(CUdeviceptr x, CUdeviceptr w, CUdeviceptr y, int rows, int dim, float eps) {
        return Launch.of("chelsea_rmsnorm", rows, NORM_THREADS, new KernelArgs().ptr(x).ptr(w).ptr(y).i32(rows).i32(dim).f32(eps));
    }

    Launch rope(CUdeviceptr q, CUdeviceptr k, CUdeviceptr positions, CUdeviceptr invFreq, int t, ModelConfig c) {
        return rope(q, c.heads(), k, c.kvHeads(), positions, invFreq, t, c);
    }

    /** Rotary embedding of {@code heads} query heads and {@code kvHeads} key heads per token (either may be 0, its pointer then unread). */
    Launch rope(CUdeviceptr q, int heads, CUdeviceptr k, int kvHeads, CUdeviceptr positions, CUdeviceptr invFreq, int t, ModelConfig c) {
        long total = (long) t * (heads + kvHeads) * (c.ropeDim() / 2);
        return Launch.of("chelsea_rope", strideBlocks(total), ELEM_THREADS, new KernelArgs().ptr(q).ptr(k).ptr(positions).ptr(invFreq)
                .i32(t).i32(heads).i32(kvHeads).i32(c.headDim()).i32(c.ropeDim()).i32(c.architecture().neoxRope ? 1 : 0));
    }

    Launch addBias(CUdeviceptr x, CUdeviceptr b, int t, int dim) {
        return Launch.of("chelsea_add_bias", strideBlocks((long) t * dim), ELEM_THREADS, new KernelArgs().ptr(x).ptr(b).i32(t).i32(dim));
    }

    /** {@code gate = silu(gate) * up} for {@code t} rows of {@code ffn}. */
    Launch siluMul(CUdeviceptr gate, CUdeviceptr up, int t, int ffn) {
        return Launch.of("chelsea_silu_mul", strideBlocks((long) t * ffn), ELEM_THREADS,
                new KernelArgs().ptr(gate).ptr(gate).ptr(up).i32(t).i32(ffn).i32(ffn));
    }

    Launch argmax(CUdeviceptr x, int n, CUdeviceptr out) {
        return Launch.of("chelsea_argmax", 1, ARGMAX_THREADS, new KernelArgs().ptr(x).i32(n).ptr(out));
    }

    /** Stores this step's keys and values into the layer's slots {@code *slotBase ..}. */
    Launch kvAppend(CUdeviceptr k, CUdeviceptr v, DeviceKv store, int layer, CUdeviceptr positions, CUdeviceptr slotBase, int t) {
        var layout = store.layout();
        return new Launch("chelsea_kv_append", t, layout.kvHeads(), 1, ATTN_THREADS, 0, new KernelArgs().ptr(k).ptr(v)
                .ptr(store.keys(layer)).ptr(store.values(layer)).ptr(store.positions(layer)).ptr(store.logSizes(layer))
                .ptr(positions).ptr(slotBase).i32(t).i32(layout.kvHeads()).i32(layout.headDim()).i32(store.capacity()));
    }

    /**
     * Moves slots of one layer's store in every KV head: {@code runs} holds {@code [kvHeads][nRuns]}
     * triples {@code (from, to, count)} (see {@code KvPlan.Evict.runs}), applied in order.
     */
    Launch kvMove(DeviceKv store, int layer, CUdeviceptr runs, int nRuns) {
        var layout = store.layout();
        return Launch.of("chelsea_kv_move", layout.kvHeads(), ATTN_THREADS, new KernelArgs().ptr(store.keys(layer))
                .ptr(store.values(layer)).ptr(store.positions(layer)).ptr(store.logSizes(layer)).ptr(runs).i32(nRuns)
                .i32(layout.kvHeads()).i32(layout.headDim()).i32(store.capacity()));
    }

    /**
     * Chelsea, one merge pass, step 1: per (chunk, KV head) of the region from {@code from}, each
     * source's best destination and its cosine into the edge arrays ({@code [kvHeads][stride]}
     * floats and ints); the best {@code perChunk} edges of each chunk are taken, or none when it is
     * negative (the plan ranks them across chunks: {@link #clusterSelect}).
     */
    Launch clusterScore(DeviceKv store, int layer, CUdeviceptr edgeScore, CUdeviceptr edgeDest, int stride, int from,
                        int chunk, int chunks, int perChunk) {
        var layout = store.layout();
        return new Launch("chelsea_cluster_score", chunks, layout.kvHeads(), 1, CLUSTER_THREADS, 0, new KernelArgs()
                .ptr(store.keys(layer)).ptr(edgeScore).ptr(edgeDest).i32(from).i32(chunk).i32(Math.max(perChunk, 0))
                .i32(layout.kvHeads()).i32(layout.headDim()).i32(store.capacity()).i32(stride));
    }

    /** Step 2 when edges are ranked across chunks: takes the best {@code merges} of {@code sources} edges in every head. */
    Launch clusterSelect(int kvHeads, CUdeviceptr edgeScore, CUdeviceptr edgeDest, int stride, int sources, int merges) {
        return Launch.of("chelsea_cluster_select", kvHeads, SELECT_THREADS, new KernelArgs().ptr(edgeScore).ptr(edgeDest)
                .i32(sources).i32(merges).i32(stride));
    }

    /** Step 3: the taken sources of each chunk folded into their destinations (size-weighted, sizes and logs updated). */
    Launch clusterMerge(DeviceKv store, int layer, CUdeviceptr edgeDest, int stride, int from, int chunk, int chunks) {
        var layout = store.layout();
        return new Launch("chelsea_cluster_merge", chunks, layout.kvHeads(), 1, CLUSTER_THREADS, 0, new KernelArgs()
                .ptr(store.keys(layer)).ptr(store.values(layer)).ptr(store.logSizes(layer)).ptr(edgeDest).i32(from)
                .i32(chunk).i32(layout.kvHeads()).i32(layout.headDim()).i32(store.capacity()).i32(stride));
    }

    /** Step 4: the merged sources dropped from the region {@code [from, from + count)}, later slots moved down in order. */
    Launch clusterCompact(DeviceKv store, int layer, CUdeviceptr edgeDest, int stride, int from, int count, int used, int chunk) {
        var layout = store.layout();
        return Launch.of("chelsea_cluster_compact", layout.kvHeads(), CLUSTER_THREADS, new KernelArgs()
                .ptr(store.keys(layer)).ptr(store.values(layer)).ptr(store.positions(layer)).ptr(store.logSizes(layer))
                .ptr(edgeDest).i32(from).i32(count).i32(used).i32(chunk).i32(layout.kvHeads()).i32(layout.headDim())
                .i32(store.capacity()).i32(stride));
    }

    /**
     * Splits of the context for decode attention: one per 256 slots of the capacity, at most 256
     * (the kernels' README; to tune on a GPU). A graph's grid is fixed, so the split count follows
     * the capacity, and each split takes its share of the slots in use at run time (an empty share
     * costs a block that exits).
     */
    int decodeSplits(int kvHeads, int capacity) {
        return Math.min(256, Math.max(1, ceil(capacity, 256)));
    }

    /** Floats of the partial results of decode attention: outputs, then (max, sum) per split and head. */
    static long partialFloats(int heads, int headDim, int splits) {
        return (long) splits * heads * headDim + 2L * splits * heads;
    }

    Launch attentionDecode(CUdeviceptr q, DeviceKv store, int layer, CUdeviceptr slotBase, CUdeviceptr partial, int heads, int splits) {
        var layout = store.layout();
        String name = attentionKernel("decode", layout.headDim(), heads / layout.kvHeads());
        return new Launch(name, layout.kvHeads(), splits, 1, ATTN_THREADS, 0, new KernelArgs().ptr(q).ptr(store.keys(layer))
                .ptr(store.values(layer)).ptr(store.sizeBias(layer)).ptr(slotBase).ptr(partial).i32(heads).i32(layout.kvHeads())
                .i32(layout.headDim()).i32(store.capacity()).i32(splits).f32((float) (1.0 / Math.sqrt(layout.headDim()))));
    }

    Launch attentionCombine(CUdeviceptr partial, CUdeviceptr out, int heads, int headDim, int splits) {
        return Launch.of("chelsea_attn_combine", heads, ATTN_THREADS, new KernelArgs().ptr(partial).ptr(out).i32(heads).i32(headDim).i32(splits));
    }

    Launch attentionPrefill(CUdeviceptr q, DeviceKv store, int layer, CUdeviceptr slotBase, CUdeviceptr out, int t, int heads) {
        var layout = store.layout();
        String name = attentionKernel("prefill", layout.headDim(), heads / layout.kvHeads());
        return new Launch(name, ceil(t, ATTN_WARPS), layout.kvHeads(), 1, ATTN_THREADS, 0, new KernelArgs().ptr(q).ptr(store.keys(layer))
                .ptr(store.values(layer)).ptr(store.sizeBias(layer)).ptr(slotBase).ptr(out).i32(t).i32(heads).i32(layout.kvHeads())
                .i32(layout.headDim()).i32(store.capacity()).f32((float) (1.0 / Math.sqrt(layout.headDim()))));
    }
}
