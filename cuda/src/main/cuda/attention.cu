// The KV cache and attention over it.
//
// Cache of one layer: K and V as half, [kvHeads][capacity][headDim]; slotPos int
// [kvHeads][capacity]; optional logSize float [kvHeads][capacity], added to the logit of each slot
// (a Chelsea slot that merged n keys carries log n). Query head h reads KV head h / (heads/kvHeads).
//
// Both attention kernels work a warp at a time on tiles of 32 slots: the scores with one slot per
// lane (the slot's key row from shared memory against the group's queries, so no reductions), an
// online softmax per query head (flash attention), then the values with each lane owning DPL of the
// head's dimensions. A key or value row is read once for up to g query heads of its group (all of
// them when the group has at most g heads). Kernels are instantiated per head-size class
// (hd32/64/128/256: DPL = 1/2/4/8 dimensions per lane) and per number of query heads handled
// together (g1/2/4/8), so that registers fit each case; a larger group is done in several passes
// over the same slots.
#include "chelsea.cuh"

namespace chelsea {

constexpr int KCHUNK = 64;             // key dimensions staged per step by a decode warp
constexpr int KCHUNK_LD = KCHUNK + 8;  // halves per staged row: rows 16 bytes apart mod 128

CH_DEV float lo_half(uint32_t w) { return f16(w & 0xFFFFu); }
CH_DEV float hi_half(uint32_t w) { return f16(w >> 16); }

// Eight halves (one 16-byte load) as floats.
CH_DEV void half8(const uint4& u, float* f) {
    f[0] = lo_half(u.x);
    f[1] = hi_half(u.x);
    f[2] = lo_half(u.y);
    f[3] = hi_half(u.y);
    f[4] = lo_half(u.z);
    f[5] = hi_half(u.z);
    f[6] = lo_half(u.w);
    f[7] = hi_half(u.w);
}

// DPL halves of a value row (the lane's dimensions) as floats; zeros for lanes past the head.
template <int DPL>
CH_DEV void load_dims(const __half* p, bool active, float (&f)[DPL]) {
    if (!active) {
#pragma unroll
        for (int e = 0; e < DPL; ++e) f[e] = 0.f;
        return;
    }
    if constexpr (DPL == 1) {
        f[0] = __half2float(*p);
    } else if constexpr (DPL == 2) {
        const uint32_t u = *reinterpret_cast<const uint32_t*>(p);
        f[0] = lo_half(u);
        f[1] = hi_half(u);
    } else if constexpr (DPL == 4) {
        const uint2 u = *reinterpret_cast<const uint2*>(p);
        f[0] = lo_half(u.x);
        f[1] = hi_half(u.x);
        f[2] = lo_half(u.y);
        f[3] = hi_half(u.y);
    } else {
        half8(*reinterpret_cast<const uint4*>(p), f);
    }
}

// s[g] += dot(q + g*qStride, krow) over n dimensions (n a multiple of 8). krow: shared memory,
// 16-byte aligned; q: shared memory floats, 16-byte aligned rows.
template <int GT>
CH_DEV void score_accumulate(const __half* krow, const float* q, int qStride, int n, float (&s)[GT]) {
    for (int j = 0; j < n; j += 8) {
        float k[8];
        half8(*reinterpret_cast<const uint4*>(krow + j), k);
#pragma unroll
        for (int g = 0; g < GT; ++g) {
            const float4 a = *reinterpret_cast<const float4*>(q + g * qStride + j);
            const float4 b = *reinterpret_cast<const float4*>(q + g * qStride + j + 4);
            s[g] += a.x * k[0] + a.y * k[1] + a.z * k[2] + a.w * k[3] + b.x * k[4] + b.y * k[5] + b.z * k[6] +
                    b.w * k[7];
        }
    }
}

// One online-softmax step over a tile: lane's slot score s[g] (+ bias), valid or masked. Rescales
// the running output, adds this tile's weights to the lane's partial sum l and leaves them in
// pw[g*32 + lane] for the values.
template <int GT, int DPL>
CH_DEV void softmax_step(const float (&s)[GT], bool valid, float bias, float (&m)[GT], float (&l)[GT],
                         float (&o)[GT][DPL], float* pw) {
    const int lane = threadIdx.x & 31;
#pragma unroll
    for (int g = 0; g < GT; ++g) {
        const float sc = valid ? s[g] + bias : NEG;
        const float mn = fmaxf(m[g], warp_max(sc));
        const float alpha = __expf(m[g] - mn);
        const float p = valid ? __expf(sc - mn) : 0.f;
        l[g] = l[g] * alpha + p;
        m[g] = mn;
#pragma unroll
        for (int e = 0; e < DPL; ++e) o[g][e] *= alpha;
        pw[g * 32 + lane] = p;
    }
    __syncwarp();
}

// o[g][.] += sum over the first nv slots of the tile of pw[g][j] * V[j][lane's dims]. v points at
// the tile's first row plus the lane's first dimension; rows are vStride halves apart.
template <int GT, int DPL>
CH_DEV void pv_accumulate(const float* pw, const __half* v, size_t vStride, int nv, bool active,
                          float (&o)[GT][DPL]) {
    for (int j = 0; j < nv; j += 4) {
        float4 p4[GT];
#pragma unroll
        for (int g = 0; g < GT; ++g) p4[g] = *reinterpret_cast<const float4*>(pw + g * 32 + j);
#pragma unroll
        for (int jj = 0; jj < 4; ++jj) {
            if (j + jj < nv) {
                float f[DPL];
                load_dims<DPL>(v + (j + jj) * vStride, active, f);
#pragma unroll
                for (int g = 0; g < GT; ++g) {
                    const float p = comp(p4[g], jj);
#pragma unroll
                    for (int e = 0; e < DPL; ++e) o[g][e] += p * f[e];
                }
            }
        }
    }
}

// Copies rows [0, nt) of a [.][hd] half matrix into a 32-row tile with rows ld halves apart;
// rows nt..31 become zeros. All threads of the block take part.
CH_DEV void stage_tile(const __half* src, int nt, int hd, int ld, __half* dst) {
    const int ppr = hd >> 3, total = ATTN_TILE * ppr;
    for (int p = threadIdx.x; p < total; p += ATTN_THREADS) {
        const int sl = p / ppr, pc = p - sl * ppr;
        uint4 u = make_uint4(0u, 0u, 0u, 0u);
        if (sl < nt) u = __ldg(reinterpret_cast<const uint4*>(src + static_cast<size_t>(sl) * hd + pc * 8));
        *reinterpret_cast<uint4*>(dst + sl * ld + pc * 8) = u;
    }
}

template <int DPL, int GT>
CH_DEV void attn_decode_body(const float* __restrict__ q, const __half* __restrict__ kc,
                             const __half* __restrict__ vc, const float* __restrict__ logSize,
                             const int* __restrict__ slotBase, float* __restrict__ partial, int heads, int kvHeads,
                             int hd, int capacity, int splits, float scale) {
    constexpr int HDMAX = 32 * DPL;
    __shared__ __align__(16) __half ks[ATTN_WARPS][ATTN_TILE * KCHUNK_LD];
    __shared__ __align__(16) float qs[GT * HDMAX];
    __shared__ __align__(16) float ps[ATTN_WARPS][GT * 32];
    __shared__ __align__(16) float ob[GT * HDMAX];
    __shared__ float wm[ATTN_WARPS][GT], wl[ATTN_WARPS][GT];

    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int kvh = blockIdx.x, split = blockIdx.y, G = heads / kvHeads;
    const int nSlots = max(0, min(*slotBase + 1, capacity));
    const int chunk = (((nSlots + splits - 1) / splits) + ATTN_TILE - 1) & ~(ATTN_TILE - 1);
    const int begin = min(split * chunk, nSlots), end = min(begin + chunk, nSlots);
    const size_t base = static_cast<size_t>(kvh) * capacity;
    const __half* K = kc + base * hd;
    const __half* V = vc + base * hd;
    const float* ls = logSize ? logSize + base : nullptr;
    float* po = partial;
    float* pml = partial + static_cast<size_t>(splits) * heads * hd;
    const bool laneActive = lane * DPL < hd;
    __half* kw = ks[warp];
    float* pw = ps[warp];

    for (int h0 = 0; h0 < G; h0 += GT) {
        const int gn = min(GT, G - h0);
        for (int i = tid; i < GT * hd; i += ATTN_THREADS) {
            const int g = i / hd, d = i - g * hd;
            qs[i] = g < gn ? q[static_cast<size_t>(kvh * G + h0 + g) * hd + d] * scale : 0.f;
        }
        __syncthreads();

        float m[GT], l[GT], o[GT][DPL];
#pragma unroll
        for (int g = 0; g < GT; ++g) {
            m[g] = NEG;
            l[g] = 0.f;
#pragma unroll
            for (int e = 0; e < DPL; ++e) o[g][e] = 0.f;
        }
        for (int t0 = begin + warp * ATTN_TILE; t0 < end; t0 += ATTN_WARPS * ATTN_TILE) {
            const int nv = min(ATTN_TILE, end - t0);
            const bool valid = lane < nv;
            float s[GT];
#pragma unroll
            for (int g = 0; g < GT; ++g) s[g] = 0.f;
            for (int d0 = 0; d0 < hd; d0 += KCHUNK) {
                const int cw = min(KCHUNK, hd - d0), ppr = cw >> 3;
                __syncwarp();
                // Eight lanes per slot row: each load instruction covers four 128-byte row pieces.
#pragma unroll
                for (int it = 0; it < 8; ++it) {
                    const int p = it * 32 + lane, sl = p >> 3, pc = p & 7;
                    if (pc < ppr) {
                        uint4 u = make_uint4(0u, 0u, 0u, 0u);
                        if (sl < nv)
                            u = __ldg(reinterpret_cast<const uint4*>(K + static_cast<size_t>(t0 + sl) * hd + d0 + pc * 8));
                        *reinterpret_cast<uint4*>(kw + sl * KCHUNK_LD + pc * 8) = u;
                    }
                }
                __syncwarp();
                score_accumulate<GT>(kw + lane * KCHUNK_LD, qs + d0, hd, cw, s);
            }
            const float bias = (valid && ls != nullptr) ? ls[t0 + lane] : 0.f;
            softmax_step<GT, DPL>(s, valid, bias, m, l, o, pw);
            pv_accumulate<GT, DPL>(pw, V + static_cast<size_t>(t0) * hd + lane * DPL, hd, nv, laneActive, o);
            __syncwarp();
        }

        // Merge the four warps: rescale each to the block maximum, add in warp order.
#pragma unroll
        for (int g = 0; g < GT; ++g) l[g] = warp_sum(l[g]);
        if (lane == 0) {
#pragma unroll
            for (int g = 0; g < GT; ++g) {
                wm[warp][g] = m[g];
                wl[warp][g] = l[g];
            }
        }
        __syncthreads();
        float f[GT];
#pragma unroll
        for (int g = 0; g < GT; ++g) {
            float mx = wm[0][g];
#pragma unroll
            for (int w = 1; w < ATTN_WARPS; ++w) mx = fmaxf(mx, wm[w][g]);
            f[g] = __expf(m[g] - mx);
        }
        for (int w = 0; w < ATTN_WARPS; ++w) {
            if (warp == w && laneActive) {
#pragma unroll
                for (int g = 0; g < GT; ++g)
#pragma unroll
                    for (int e = 0; e < DPL; ++e) {
                        const int i = g * hd + lane * DPL + e;
                        ob[i] = (w == 0 ? 0.f : ob[i]) + f[g] * o[g][e];
                    }
            }
            __syncthreads();
        }
        for (int i = tid; i < gn * hd; i += ATTN_THREADS) {
            const int g = i / hd, d = i - g * hd;
            po[(static_cast<size_t>(split) * heads + kvh * G + h0 + g) * hd + d] = ob[i];
        }
        if (tid < gn) {
            float mx = wm[0][tid];
#pragma unroll
            for (int w = 1; w < ATTN_WARPS; ++w) mx = fmaxf(mx, wm[w][tid]);
            float sum = 0.f;
#pragma unroll
            for (int w = 0; w < ATTN_WARPS; ++w) sum += __expf(wm[w][tid] - mx) * wl[w][tid];
            float* ml = pml + (static_cast<size_t>(split) * heads + kvh * G + h0 + tid) * 2;
            ml[0] = mx;
            ml[1] = sum;
        }
        __syncthreads();
    }
}

template <int DPL, int GT>
CH_DEV void attn_prefill_body(const float* __restrict__ q, const __half* __restrict__ kc,
                              const __half* __restrict__ vc, const float* __restrict__ logSize,
                              const int* __restrict__ slotBase, float* __restrict__ out, int T, int heads,
                              int kvHeads, int hd, int capacity, float scale) {
    constexpr int HDMAX = 32 * DPL;
    __shared__ __align__(16) __half kv[ATTN_TILE * (HDMAX + 8)];
    __shared__ __align__(16) float qs[ATTN_WARPS][GT * HDMAX];
    __shared__ __align__(16) float ps[ATTN_WARPS][GT * 32];

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int kvh = blockIdx.y, G = heads / kvHeads;
    const int t = blockIdx.x * ATTN_WARPS + warp;  // this warp's query token
    const bool active = t < T;
    const int sb = *slotBase;
    const int tLast = min(static_cast<int>(blockIdx.x) * ATTN_WARPS + ATTN_WARPS - 1, T - 1);
    const int blockEnd = max(0, min(sb + tLast + 1, capacity));  // slots any warp of the block sees
    const int myEnd = min(sb + t + 1, capacity);                   // slots [0, myEnd) for this query
    const int ld = hd + 8;
    const size_t base = static_cast<size_t>(kvh) * capacity;
    const __half* K = kc + base * hd;
    const __half* V = vc + base * hd;
    const float* ls = logSize ? logSize + base : nullptr;
    const bool laneActive = lane * DPL < hd;
    float* qw = qs[warp];
    float* pw = ps[warp];

    for (int h0 = 0; h0 < G; h0 += GT) {
        const int gn = min(GT, G - h0);
        for (int i = lane; i < GT * hd; i += 32) {
            const int g = i / hd, d = i - g * hd;
            qw[i] = (active && g < gn) ? q[(static_cast<size_t>(t) * heads + kvh * G + h0 + g) * hd + d] * scale : 0.f;
        }
        __syncwarp();

        float m[GT], l[GT], o[GT][DPL];
#pragma unroll
        for (int g = 0; g < GT; ++g) {
            m[g] = NEG;
            l[g] = 0.f;
#pragma unroll
            for (int e = 0; e < DPL; ++e) o[g][e] = 0.f;
        }
        for (int t0 = 0; t0 < blockEnd; t0 += ATTN_TILE) {
            const int nt = min(ATTN_TILE, blockEnd - t0);
            const int nv = active ? max(0, min(ATTN_TILE, myEnd - t0)) : 0;
            __syncthreads();  // the previous tile's values are read
            stage_tile(K + static_cast<size_t>(t0) * hd, nt, hd, ld, kv);
            __syncthreads();
            if (nv > 0) {
                float s[GT];
#pragma unroll
                for (int g = 0; g < GT; ++g) s[g] = 0.f;
                score_accumulate<GT>(kv + lane * ld, qw, hd, hd, s);
                const bool valid = lane < nv;
                const float bias = (valid && ls != nullptr) ? ls[t0 + lane] : 0.f;
                softmax_step<GT, DPL>(s, valid, bias, m, l, o, pw);
            }
            __syncthreads();  // the keys are read
            stage_tile(V + static_cast<size_t>(t0) * hd, nt, hd, ld, kv);
            __syncthreads();
            if (nv > 0) pv_accumulate<GT, DPL>(pw, kv + lane * DPL, ld, nv, laneActive, o);
        }
        if (active) {
#pragma unroll
            for (int g = 0; g < GT; ++g) {
                const float sum = warp_sum(l[g]);
                if (g < gn && laneActive) {
                    const float inv = sum > 0.f ? 1.f / sum : 0.f;
                    float* dst = out + (static_cast<size_t>(t) * heads + kvh * G + h0 + g) * hd + lane * DPL;
#pragma unroll
                    for (int e = 0; e < DPL; ++e) dst[e] = o[g][e] * inv;
                }
            }
        }
    }
}

}  // namespace chelsea

using chelsea::ATTN_THREADS;

// Stores k and v ([T][kvHeads*headDim] float) as half into slots *slotBase + t, sets slotPos to
// positions[t] and logSize (when given) to 0. Grid (T, kvHeads); slots past capacity are skipped.
extern "C" __global__ void __launch_bounds__(ATTN_THREADS)
    chelsea_kv_append(const float* __restrict__ k, const float* __restrict__ v, __half* __restrict__ kc,
                      __half* __restrict__ vc, int* __restrict__ slotPos, float* __restrict__ logSize,
                      const int* __restrict__ positions, const int* __restrict__ slotBase, int T, int kvHeads,
                      int headDim, int capacity) {
    const int t = blockIdx.x, h = blockIdx.y;
    const int slot = *slotBase + t;
    if (t >= T || h >= kvHeads || slot < 0 || slot >= capacity) return;
    const size_t src = (static_cast<size_t>(t) * kvHeads + h) * headDim;
    const size_t cell = static_cast<size_t>(h) * capacity + slot;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        kc[cell * headDim + d] = __float2half_rn(k[src + d]);
        vc[cell * headDim + d] = __float2half_rn(v[src + d]);
    }
    if (threadIdx.x == 0) {
        slotPos[cell] = positions[t];
        if (logSize != nullptr) logSize[cell] = 0.f;
    }
}

// Merges the splits of chelsea_attn_decode_*: out[h*hd + d] = sum_s e^(m_s - M) o_s[d] /
// sum_s e^(m_s - M) l_s. One block per query head.
extern "C" __global__ void __launch_bounds__(ATTN_THREADS)
    chelsea_attn_combine(const float* __restrict__ partial, float* __restrict__ out, int heads, int headDim,
                         int splits) {
    const int h = blockIdx.x;
    const float* po = partial;
    const float* pml = partial + static_cast<size_t>(splits) * heads * headDim;
    float mx = chelsea::NEG;
    for (int s = 0; s < splits; ++s) mx = fmaxf(mx, pml[(static_cast<size_t>(s) * heads + h) * 2]);
    float sum = 0.f;
    for (int s = 0; s < splits; ++s) {
        const float* ml = pml + (static_cast<size_t>(s) * heads + h) * 2;
        sum += __expf(ml[0] - mx) * ml[1];
    }
    const float inv = sum > 0.f ? 1.f / sum : 0.f;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float acc = 0.f;
        for (int s = 0; s < splits; ++s)
            acc += __expf(pml[(static_cast<size_t>(s) * heads + h) * 2] - mx) *
                   po[(static_cast<size_t>(s) * heads + h) * headDim + d];
        out[static_cast<size_t>(h) * headDim + d] = acc * inv;
    }
}

#define CHELSEA_ATTN(HD, DPL, GT)                                                                              \
    extern "C" __global__ void __launch_bounds__(ATTN_THREADS) chelsea_attn_decode_hd##HD##_g##GT(            \
        const float* __restrict__ q, const __half* __restrict__ kc, const __half* __restrict__ vc,             \
        const float* __restrict__ logSize, const int* __restrict__ slotBase, float* __restrict__ partial,      \
        int heads, int kvHeads, int headDim, int capacity, int splits, float scale) {                          \
        chelsea::attn_decode_body<DPL, GT>(q, kc, vc, logSize, slotBase, partial, heads, kvHeads, headDim,    \
                                           capacity, splits, scale);                                           \
    }                                                                                                          \
    extern "C" __global__ void __launch_bounds__(ATTN_THREADS) chelsea_attn_prefill_hd##HD##_g##GT(           \
        const float* __restrict__ q, const __half* __restrict__ kc, const __half* __restrict__ vc,             \
        const float* __restrict__ logSize, const int* __restrict__ slotBase, float* __restrict__ out, int T,   \
        int heads, int kvHeads, int headDim, int capacity, float scale) {                                      \
        chelsea::attn_prefill_body<DPL, GT>(q, kc, vc, logSize, slotBase, out, T, heads, kvHeads, headDim,    \
                                            capacity, scale);                                                  \
    }

CHELSEA_ATTN(32, 1, 1)
CHELSEA_ATTN(32, 1, 2)
CHELSEA_ATTN(32, 1, 4)
CHELSEA_ATTN(32, 1, 8)
CHELSEA_ATTN(64, 2, 1)
CHELSEA_ATTN(64, 2, 2)
CHELSEA_ATTN(64, 2, 4)
CHELSEA_ATTN(64, 2, 8)
CHELSEA_ATTN(128, 4, 1)
CHELSEA_ATTN(128, 4, 2)
CHELSEA_ATTN(128, 4, 4)
CHELSEA_ATTN(128, 4, 8)
CHELSEA_ATTN(256, 8, 1)
CHELSEA_ATTN(256, 8, 2)
CHELSEA_ATTN(256, 8, 4)
