// Chelsea clustering on the device: one pass of chunked soft matching over one layer's store
// (CHELSEA.md §1.4). The Java reference is engine/.../kv/ChunkedSoftMatching (which sources merge
// where) and CpuKvStore.merge (how): these kernels follow them rule for rule, so that the device
// makes the same merges as the CPU on the same keys.
//
// A pass over the region [from, from + count) of every KV head, with chunk c, aCount = c/2 sources
// per chunk (even local indices) and c - aCount destinations (odd ones; with an odd c the last
// slot too):
//   chelsea_cluster_score    per (chunk, head): cosine of keys, each source's best destination
//                            (first on ties), its score; with r per chunk also the r best edges
//   chelsea_cluster_select   per head, only when edges are ranked across chunks: the best `merges`
//   chelsea_cluster_merge    per (chunk, head): size-weighted means into the destinations
//   chelsea_cluster_compact  per head: drops the merged sources, keeping temporal order
// Edges live in two scratch arrays of [kvHeads][stride] (stride >= capacity/2), indexed by source
// number s = chunk * aCount + a: edgeScore (the cosine) and edgeDest (region index of the
// destination, bit-inverted, ~d, while the edge is not taken). Sizes are not stored apart: a slot's
// size is exp(logSize), exact as an integer below a million tokens (log rounded to float is within
// 5e-7 of the true log, so exp is within 0.5 of the size).
#include "chelsea.cuh"

namespace chelsea {

constexpr int CLUSTER_THREADS = 128;
constexpr int CLUSTER_MAX_CHUNK = 1024;  // inverse norms of a chunk in shared memory
constexpr int SELECT_THREADS = 256;

// Local index of destination b (ChunkedSoftMatching.destinationSlot).
CH_DEV int cluster_dest_slot(int b, int aCount, int chunk) { return b < aCount ? 2 * b + 1 : chunk - 1; }

// The Java edge order (ChunkedSoftMatching.edgeKey) as an unsigned key, smallest first: descending
// score with NaN as -infinity (and -0 below +0, as the float's bits order it), then ascending source.
CH_DEV unsigned long long cluster_edge_key(float score, int source) {
    if (score != score) score = -INFINITY;
    const int bits = __float_as_int(score);
    const int ordered = bits < 0 ? bits ^ 0x7fffffff : bits;
    const unsigned hi = static_cast<unsigned>(~ordered) ^ 0x80000000u;  // signed order as unsigned
    return (static_cast<unsigned long long>(hi) << 32) | static_cast<unsigned>(source);
}

// The cluster size a slot stands for, from its log (the attention bias).
CH_DEV float cluster_size(float logSize) { return static_cast<float>(rint(exp(static_cast<double>(logSize)))); }

}  // namespace chelsea

using namespace chelsea;

// Scores one chunk of one KV head. grid (chunks, kvHeads), block CLUSTER_THREADS, chunk <= 1024.
// Unit keys as ChunkedSoftMatching.normalise (x * (1/|x|), the root in double), cosines as fused
// multiply-adds in dimension order. The perChunk best edges of the chunk are taken; 0 when
// chelsea_cluster_select ranks the edges across chunks instead.
extern "C" __global__ void __launch_bounds__(CLUSTER_THREADS)
    chelsea_cluster_score(const __half* __restrict__ kc, float* __restrict__ edgeScore, int* __restrict__ edgeDest,
                          int from, int chunk, int perChunk, int kvHeads, int headDim, int capacity, int stride) {
    __shared__ float inv[CLUSTER_MAX_CHUNK];
    const int c = blockIdx.x, h = blockIdx.y;
    const int aCount = chunk / 2, bCount = chunk - aCount;
    const __half* k0 = kc + (static_cast<size_t>(h) * capacity + from + static_cast<size_t>(c) * chunk) * headDim;
    float* score = edgeScore + static_cast<size_t>(h) * stride + static_cast<size_t>(c) * aCount;
    int* dest = edgeDest + static_cast<size_t>(h) * stride + static_cast<size_t>(c) * aCount;
    for (int t = threadIdx.x; t < chunk; t += blockDim.x) {
        const __half* k = k0 + static_cast<size_t>(t) * headDim;
        float s = 0.f;
        for (int d = 0; d < headDim; ++d) {
            const float x = __half2float(k[d]);
            s = fmaf(x, x, s);
        }
        inv[t] = s > 0.f ? static_cast<float>(1.0 / sqrt(static_cast<double>(s))) : 0.f;
    }
    __syncthreads();
    for (int a = threadIdx.x; a < aCount; a += blockDim.x) {
        const __half* ka = k0 + static_cast<size_t>(2 * a) * headDim;
        const float ia = inv[2 * a];
        int arg = 0;
        float best = 0.f;
        for (int b = 0; b < bCount; ++b) {
            const int bl = cluster_dest_slot(b, aCount, chunk);
            const __half* kb = k0 + static_cast<size_t>(bl) * headDim;
            const float ib = inv[bl];
            float s = 0.f;
            for (int d = 0; d < headDim; ++d)
                s = fmaf(__fmul_rn(__half2float(kb[d]), ib), __fmul_rn(__half2float(ka[d]), ia), s);
            if (b == 0) {
                best = s;
            } else if (s > best) {  // the first of equal maxima wins; NaN never replaces
                best = s;
                arg = b;
            }
        }
        score[a] = best;
        dest[a] = ~(c * chunk + cluster_dest_slot(arg, aCount, chunk));
    }
    if (perChunk <= 0) return;
    __syncthreads();
    for (int a = threadIdx.x; a < aCount; a += blockDim.x) {
        const unsigned long long key = cluster_edge_key(score[a], c * aCount + a);
        int rank = 0;
        for (int o = 0; o < aCount; ++o) rank += cluster_edge_key(score[o], c * aCount + o) < key ? 1 : 0;
        if (rank < perChunk) dest[a] = ~dest[a];
    }
}

// Takes the `merges` best edges of `sources` in each head, ranked across chunks (the Java order):
// the merges-th smallest edge key is found bit by bit, 64 counting rounds over the head's edges.
// grid kvHeads, block SELECT_THREADS; merges <= sources < 2^24.
extern "C" __global__ void __launch_bounds__(SELECT_THREADS)
    chelsea_cluster_select(const float* __restrict__ edgeScore, int* __restrict__ edgeDest, int sources, int merges,
                           int stride) {
    const float* score = edgeScore + static_cast<size_t>(blockIdx.x) * stride;
    int* dest = edgeDest + static_cast<size_t>(blockIdx.x) * stride;
    if (merges <= 0) return;
    unsigned long long cut = 0;
    for (int bit = 63; bit >= 0; --bit) {
        const unsigned long long cand = cut | (1ull << bit);
        float below = 0.f;
        for (int s = threadIdx.x; s < sources; s += blockDim.x) below += cluster_edge_key(score[s], s) < cand ? 1.f : 0.f;
        if (block_sum(below) < static_cast<float>(merges)) cut = cand;  // every thread sees the same sum
    }
    for (int s = threadIdx.x; s < sources; s += blockDim.x)
        if (cluster_edge_key(score[s], s) <= cut) dest[s] = ~dest[s];
}

// Folds the taken sources of one chunk into their destinations, as CpuKvStore.mergeInto: sources in
// slot order, a running size-weighted mean y += (x - y) * s_a / (s_b + s_a) in float (fused), the
// key and value written back to f16 once, the size's log (in double, rounded to float) into logSize.
// grid (chunks, kvHeads), block CLUSTER_THREADS; each thread owns dimensions d of the chunk's rows.
extern "C" __global__ void __launch_bounds__(CLUSTER_THREADS)
    chelsea_cluster_merge(__half* __restrict__ kc, __half* __restrict__ vc, float* __restrict__ logSize,
                          const int* __restrict__ edgeDest, int from, int chunk, int kvHeads, int headDim, int capacity,
                          int stride) {
    const int c = blockIdx.x, h = blockIdx.y;
    const int aCount = chunk / 2, bCount = chunk - aCount;
    const size_t first = static_cast<size_t>(h) * capacity + from + static_cast<size_t>(c) * chunk;
    const int* dest = edgeDest + static_cast<size_t>(h) * stride + static_cast<size_t>(c) * aCount;
    for (int b = 0; b < bCount; ++b) {
        const int bl = cluster_dest_slot(b, aCount, chunk);
        const int target = c * chunk + bl;
        const size_t sb = first + bl;
        const float size = cluster_size(logSize[sb]);
        float total = size;
        for (int a = 0; a < aCount; ++a)
            if (dest[a] == target) total += cluster_size(logSize[first + 2 * a]);
        if (total == size) continue;  // nothing merges here (block-uniform)
        for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
            float k = __half2float(kc[sb * headDim + d]), v = __half2float(vc[sb * headDim + d]), s = size;
            for (int a = 0; a < aCount; ++a) {
                if (dest[a] != target) continue;
                const size_t sa = first + 2 * a;
                const float sz = cluster_size(logSize[sa]), t = s + sz, w = __fdiv_rn(sz, t);
                k = fmaf(__half2float(kc[sa * headDim + d]) - k, w, k);
                v = fmaf(__half2float(vc[sa * headDim + d]) - v, w, v);
                s = t;
            }
            kc[sb * headDim + d] = __float2half_rn(k);
            vc[sb * headDim + d] = __float2half_rn(v);
        }
        __syncthreads();  // every thread has read the destination's old size
        if (threadIdx.x == 0) logSize[sb] = static_cast<float>(log(static_cast<double>(total)));
    }
}

// Drops the taken sources of the region [from, from + count) of one head and moves every later
// slot down (the recent window included, up to `used`), keeping temporal order: the slot's key,
// value, position and log size, as chelsea_kv_move. grid kvHeads, block CLUSTER_THREADS; each
// thread owns dimensions d of every slot, so no barrier is needed.
extern "C" __global__ void __launch_bounds__(CLUSTER_THREADS)
    chelsea_cluster_compact(__half* __restrict__ kc, __half* __restrict__ vc, int* __restrict__ slotPos,
                            float* __restrict__ logSize, const int* __restrict__ edgeDest, int from, int count, int used,
                            int chunk, int kvHeads, int headDim, int capacity, int stride) {
    const int h = blockIdx.x;
    const int aCount = chunk / 2, chunked = count / chunk * chunk;
    const size_t base = static_cast<size_t>(h) * capacity;
    const int* dest = edgeDest + static_cast<size_t>(h) * stride;
    int to = from;
    for (int i = from; i < used; ++i) {
        const int r = i - from, l = r % chunk;
        if (r < chunked && (l & 1) == 0 && l < 2 * aCount && dest[r / chunk * aCount + l / 2] >= 0) continue;
        if (to != i) {
            const size_t src = base + i, dst = base + to;
            for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
                kc[dst * headDim + d] = kc[src * headDim + d];
                vc[dst * headDim + d] = vc[src * headDim + d];
            }
            if (threadIdx.x == 0) {
                slotPos[dst] = slotPos[src];
                logSize[dst] = logSize[src];
            }
        }
        ++to;
    }
}
