// Element-wise kernels of the transformer block: RMS norm, rotary embedding, bias, residual add,
// SiLU-gated product, and the greedy argmax. Their arithmetic follows the CPU engine's
// (engine/.../kernel/Ops.java, model/Transformer.java) operation for operation where that is cheap.
#include "chelsea.cuh"

using chelsea::ELEM_THREADS;

// y[r][i] = x[r][i] / sqrt(mean(x[r]^2) + eps) * w[i]; one block per row; y may be x.
extern "C" __global__ void __launch_bounds__(chelsea::NORM_THREADS)
    chelsea_rmsnorm(const float* x, const float* __restrict__ w, float* y, int rows, int dim, float eps) {
    const int row = blockIdx.x;
    if (row >= rows) return;
    const float* xr = x + static_cast<size_t>(row) * dim;
    float* yr = y + static_cast<size_t>(row) * dim;
    float ss = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        const float v = xr[i];
        ss += v * v;
    }
    ss = chelsea::block_sum(ss);
    // As Ops.rmsNorm: mean and eps in float, the reciprocal square root in double.
    const float scale = static_cast<float>(1.0 / sqrt(static_cast<double>(ss / static_cast<float>(dim) + eps)));
    for (int i = threadIdx.x; i < dim; i += blockDim.x) yr[i] = __fmul_rn(xr[i], scale) * w[i];
}

// Rotary embedding in place of q [T][heads*headDim] and k [T][kvHeads*headDim] at positions[t]:
// pairs (2i, 2i+1) (neox == 0) or (i, i + ropeDim/2) (neox != 0) of the first ropeDim dimensions of
// each head, angle positions[t] * invFreq[i] in double (positions reach 131072, where a float angle
// would be off by about 0.01 rad), sin and cos in double, the rotation in float without FMA
// contraction, as Ops.rope computes it.
extern "C" __global__ void __launch_bounds__(ELEM_THREADS)
    chelsea_rope(float* __restrict__ q, float* __restrict__ k, const int* __restrict__ positions,
                 const double* __restrict__ invFreq, int T, int heads, int kvHeads, int headDim, int ropeDim,
                 int neox) {
    const int half = ropeDim >> 1, H = heads + kvHeads;
    const long long total = static_cast<long long>(T) * H * half;
    for (long long idx = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
         idx += static_cast<long long>(gridDim.x) * blockDim.x) {
        const int i = static_cast<int>(idx % half);
        const long long rest = idx / half;
        const int h = static_cast<int>(rest % H);
        const int t = static_cast<int>(rest / H);
        float* base = h < heads ? q + (static_cast<size_t>(t) * heads + h) * headDim
                                : k + (static_cast<size_t>(t) * kvHeads + (h - heads)) * headDim;
        const int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
        double s, c;
        sincos(static_cast<double>(positions[t]) * invFreq[i], &s, &c);
        const float sf = static_cast<float>(s), cf = static_cast<float>(c);
        const float a = base[i0], b = base[i1];
        base[i0] = __fsub_rn(__fmul_rn(a, cf), __fmul_rn(b, sf));
        base[i1] = __fadd_rn(__fmul_rn(a, sf), __fmul_rn(b, cf));
    }
}

// x[t][i] += b[i] for T rows of dim (Qwen2's Q/K/V biases).
extern "C" __global__ void __launch_bounds__(ELEM_THREADS)
    chelsea_add_bias(float* __restrict__ x, const float* __restrict__ b, int T, int dim) {
    const long long total = static_cast<long long>(T) * dim;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
         i += static_cast<long long>(gridDim.x) * blockDim.x)
        x[i] += b[i % dim];
}

// y[i] += x[i] for n floats (the residual stream).
extern "C" __global__ void __launch_bounds__(ELEM_THREADS)
    chelsea_add(float* __restrict__ y, const float* __restrict__ x, int n) {
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += static_cast<long long>(gridDim.x) * blockDim.x)
        y[i] += x[i];
}

// out[t*ffn + i] = silu(gate[t*inStride + i]) * up[t*inStride + i], silu(g) = g / (1 + exp(-g)).
// inStride = ffn for separate gate and up buffers; inStride = 2*ffn when one product wrote
// [T][gate | up] (up = gate + ffn). out may be gate when inStride == ffn or T == 1.
extern "C" __global__ void __launch_bounds__(ELEM_THREADS)
    chelsea_silu_mul(float* out, const float* gate, const float* up, int T, int ffn, int inStride) {
    const long long total = static_cast<long long>(T) * ffn;
    for (long long idx = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
         idx += static_cast<long long>(gridDim.x) * blockDim.x) {
        const int t = static_cast<int>(idx / ffn), i = static_cast<int>(idx % ffn);
        const size_t in = static_cast<size_t>(t) * inStride + i;
        const float g = gate[in], u = up[in];
        out[idx] = __fdiv_rn(g, 1.f + expf(-g)) * u;
    }
}

// out[0] = index of the largest of x[0..n) (ties: the lowest index; NaN never wins; -1 when every
// value is NaN or n <= 0). One block of 1024 threads.
extern "C" __global__ void __launch_bounds__(chelsea::ARGMAX_THREADS)
    chelsea_argmax(const float* __restrict__ x, int n, int* __restrict__ out) {
    __shared__ float sv[32];
    __shared__ int si[32];
    float bv = -INFINITY;
    int bi = 0x7fffffff;
#pragma unroll 8
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float v = x[i];
        if (v > bv || (v == bv && i < bi)) {
            bv = v;
            bi = i;
        }
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_xor_sync(0xffffffffu, bv, o);
        const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (ov > bv || (ov == bv && oi < bi)) {
            bv = ov;
            bi = oi;
        }
    }
    if (lane == 0) {
        sv[warp] = bv;
        si[warp] = bi;
    }
    __syncthreads();
    if (warp == 0) {
        const int nw = blockDim.x >> 5;
        bv = lane < nw ? sv[lane] : -INFINITY;
        bi = lane < nw ? si[lane] : 0x7fffffff;
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            const float ov = __shfl_xor_sync(0xffffffffu, bv, o);
            const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
            if (ov > bv || (ov == bv && oi < bi)) {
                bv = ov;
                bi = oi;
            }
        }
        if (lane == 0) out[0] = bi == 0x7fffffff ? -1 : bi;
    }
}
