// Matrix-matrix products for prefill batches on the tensor cores:
// Y[t*rows + r] = dot(W[r], X[t]) for t < T, or Y += that (accumulate != 0).
//
// One thread block computes a 64 (weight rows) x 64 (tokens) tile of Y, 32 columns per step: the
// weight tile is dequantized from its GGUF blocks into shared memory (each format's decode8), the
// activation tile is copied beside it, both rounded to TF32, and four warps multiply them with
// WMMA m16n16k8 TF32 fragments accumulating in float. TF32 keeps float's exponent range (half
// could overflow on large activations) with half's 10-bit mantissa: each product carries a relative
// error of at most about 2^-10, so |Y - exact| <= ~1e-3 * sum|W*X| (the checker allows 2e-3).
// Blocks along x share the same weight rows, so a weight tile is read from device memory about
// once and from L2 by the other token tiles.
#include <mma.h>

#include "chelsea.cuh"

namespace chelsea {

constexpr int GEMM_LDA = GEMM_BK + 4;  // 36 floats: rows start 16 bytes apart mod 128, no bank conflicts
constexpr int GEMM_LDC = GEMM_BM + 4;  // 68 floats

template <class F>
CH_DEV void gemm_body(const uint8_t* __restrict__ W, const float* __restrict__ X, float* __restrict__ Y, int rows,
                      int cols, int T, int accumulate) {
    using namespace nvcuda;
    // A (weights, [64 rows][36]) and B (activations, [64 tokens][36]) while multiplying; then the
    // result tile C ([64 tokens][68], column r of token t at t*68 + r) in the same memory.
    __shared__ __align__(32) float smem[2 * GEMM_BM * GEMM_LDA];
    static_assert(GEMM_BN * GEMM_LDC <= 2 * GEMM_BM * GEMM_LDA, "C tile fits");
    float* As = smem;
    float* Bs = smem + GEMM_BM * GEMM_LDA;
    float* Cs = smem;

    const int tid = threadIdx.x, warp = tid >> 5;
    const int wr = warp >> 1, wc = warp & 1;  // this warp's 32 rows and 32 tokens of the tile
    const int row0 = blockIdx.y * GEMM_BM, tok0 = blockIdx.x * GEMM_BN;
    const size_t rowBytes = F::rowBytes(cols);
    const bool xVec = (cols & 3) == 0;

    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);

    for (int k0 = 0; k0 < cols; k0 += GEMM_BK) {
        // Weights: 64 rows x 4 groups of 8 values.
#pragma unroll
        for (int i = tid; i < GEMM_BM * 4; i += GEMM_THREADS) {
            const int r = i >> 2, g = i & 3, row = row0 + r, k = k0 + 8 * g;
            float v[8];
            if (row < rows && k < cols) {
                F::decode8(W + static_cast<size_t>(row) * rowBytes, k, cols, v);
            } else {
#pragma unroll
                for (int e = 0; e < 8; ++e) v[e] = 0.f;
            }
            float4* dst = reinterpret_cast<float4*>(As + r * GEMM_LDA + 8 * g);
            dst[0] = make_float4(wmma::__float_to_tf32(v[0]), wmma::__float_to_tf32(v[1]), wmma::__float_to_tf32(v[2]),
                                 wmma::__float_to_tf32(v[3]));
            dst[1] = make_float4(wmma::__float_to_tf32(v[4]), wmma::__float_to_tf32(v[5]), wmma::__float_to_tf32(v[6]),
                                 wmma::__float_to_tf32(v[7]));
        }
        // Activations: 64 tokens x 8 groups of 4 values.
#pragma unroll
        for (int i = tid; i < GEMM_BN * 8; i += GEMM_THREADS) {
            const int t = i >> 3, g = i & 7, tok = tok0 + t, k = k0 + 4 * g;
            float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
            if (tok < T) {
                const float* xp = X + static_cast<size_t>(tok) * cols + k;
                if (xVec && k + 4 <= cols) {
                    v = __ldg(reinterpret_cast<const float4*>(xp));
                } else {
                    v.x = k < cols ? __ldg(xp) : 0.f;
                    v.y = k + 1 < cols ? __ldg(xp + 1) : 0.f;
                    v.z = k + 2 < cols ? __ldg(xp + 2) : 0.f;
                    v.w = k + 3 < cols ? __ldg(xp + 3) : 0.f;
                }
            }
            *reinterpret_cast<float4*>(Bs + t * GEMM_LDA + 4 * g) =
                make_float4(wmma::__float_to_tf32(v.x), wmma::__float_to_tf32(v.y), wmma::__float_to_tf32(v.z),
                            wmma::__float_to_tf32(v.w));
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < GEMM_BK; kk += 8) {
            wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> b[2];
#pragma unroll
            for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(a[i], As + (wr * 32 + 16 * i) * GEMM_LDA + kk, GEMM_LDA);
#pragma unroll
            for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(b[j], Bs + (wc * 32 + 16 * j) * GEMM_LDA + kk, GEMM_LDA);
#pragma unroll
            for (int i = 0; i < 2; ++i)
#pragma unroll
                for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j)
            wmma::store_matrix_sync(Cs + (wc * 32 + 16 * j) * GEMM_LDC + wr * 32 + 16 * i, acc[i][j], GEMM_LDC,
                                    wmma::mem_col_major);
    __syncthreads();
    for (int i = tid; i < GEMM_BM * GEMM_BN; i += GEMM_THREADS) {
        const int t = i / GEMM_BM, r = i % GEMM_BM, tok = tok0 + t, row = row0 + r;
        if (tok < T && row < rows) {
            float* p = Y + static_cast<size_t>(tok) * rows + row;
            *p = accumulate ? *p + Cs[t * GEMM_LDC + r] : Cs[t * GEMM_LDC + r];
        }
    }
}

}  // namespace chelsea

#define CHELSEA_GEMM(name, F)                                                                             \
    extern "C" __global__ void __launch_bounds__(chelsea::GEMM_THREADS)                                   \
        chelsea_gemm_##name(const unsigned char* __restrict__ W, const float* __restrict__ X,              \
                            float* __restrict__ Y, int rows, int cols, int T, int accumulate) {           \
        chelsea::gemm_body<chelsea::F>(W, X, Y, rows, cols, T, accumulate);                               \
    }

CHELSEA_GEMM(f32, F32)
CHELSEA_GEMM(f16, F16)
CHELSEA_GEMM(bf16, BF16)
CHELSEA_GEMM(q8_0, Q8_0)
CHELSEA_GEMM(q4_0, Q4_0)
CHELSEA_GEMM(q4_1, Q4_1)
CHELSEA_GEMM(q5_0, Q5_0)
CHELSEA_GEMM(q4_k, Q4_K)
CHELSEA_GEMM(q5_k, Q5_K)
CHELSEA_GEMM(q6_k, Q6_K)
