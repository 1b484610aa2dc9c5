// Matrix-vector products for decode: y[b*rows + r] = dot(W[r], x[b*cols ..]) for b < n <= 8, or
// y += that (accumulate != 0: the residual add of the O and down projections, without a kernel).
//
// Decode reads every weight once per step, so these kernels are bound by device memory. One warp
// takes one row at a time, its lanes spread over the row's blocks (LPB lanes per block) so that a
// warp's loads cover a contiguous stretch of the row. For the block formats x is first quantized
// to 8 bits per 32 values in shared memory by the whole thread block (once per block, which then
// walks a grid-stride loop over rows), and the inner products are integer dp4a: four weights per
// instruction and a quarter of the activation bytes of float x, as llama.cpp's mmvq does. The
// float formats (F32, F16, BF16) read x in float from global memory (it stays in L1).
#include "chelsea.cuh"

namespace chelsea {

// y[n*rows + r] (+)= the warp's sums of acc[n].
template <int NB>
CH_DEV void store_rows(float (&acc)[NB], float* __restrict__ y, int rows, int r, int accumulate) {
    const int lane = threadIdx.x & 31;
#pragma unroll
    for (int n = 0; n < NB; ++n) {
        const float v = warp_sum(acc[n]);
        if (lane == 0) {
            float* p = y + static_cast<size_t>(n) * rows + r;
            *p = accumulate ? *p + v : v;
        }
    }
}

template <class F, int NB>
CH_DEV void matvec_block_format(const uint8_t* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                int rows, int cols, int accumulate) {
    CHELSEA_DYNAMIC_SMEM(mv_smem);
    int8_t* xq = reinterpret_cast<int8_t*>(mv_smem);
    float2* xd = reinterpret_cast<float2*>(mv_smem + NB * cols);
    quantize_x(x, NB, cols, xq, xd);

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int nb = cols / F::QK;
    const size_t rowBytes = F::rowBytes(cols);
    const int part = lane % F::LPB;
    for (int r = blockIdx.x * MATVEC_ROWS + warp; r < rows; r += gridDim.x * MATVEC_ROWS) {
        const uint8_t* row = W + static_cast<size_t>(r) * rowBytes;
        float acc[NB];
#pragma unroll
        for (int n = 0; n < NB; ++n) acc[n] = 0.f;
#pragma unroll(NB <= 2 ? 2 : 1)  // two blocks of loads in flight; larger batches have more work per load
        for (int ib = lane / F::LPB; ib < nb; ib += 32 / F::LPB) {
            F::template mv<NB>(row + static_cast<size_t>(ib) * F::BYTES, part, xq + ib * F::QK, xd + ib * (F::QK / 32),
                               cols, acc);
        }
        store_rows<NB>(acc, y, rows, r, accumulate);
    }
}

template <class F, int NB>
CH_DEV void matvec_float_format(const uint8_t* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                int rows, int cols, int accumulate) {
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const size_t rowBytes = F::rowBytes(cols);
    for (int r = blockIdx.x * MATVEC_ROWS + warp; r < rows; r += gridDim.x * MATVEC_ROWS) {
        const uint8_t* row = W + static_cast<size_t>(r) * rowBytes;
        float acc[NB];
#pragma unroll
        for (int n = 0; n < NB; ++n) acc[n] = 0.f;
        if ((cols & 7) == 0) {
#pragma unroll(NB <= 2 ? 2 : 1)  // two blocks of loads in flight; larger batches have more work per load
            for (int k = lane * 8; k < cols; k += 256) {
                float w[8];
                F::decode8(row, k, cols, w);
#pragma unroll
                for (int n = 0; n < NB; ++n) {
                    const float4* xp = reinterpret_cast<const float4*>(x + static_cast<size_t>(n) * cols + k);
                    const float4 a = __ldg(xp), b = __ldg(xp + 1);
                    acc[n] += w[0] * a.x + w[1] * a.y + w[2] * a.z + w[3] * a.w + w[4] * b.x + w[5] * b.y +
                              w[6] * b.z + w[7] * b.w;
                }
            }
        } else {
            for (int k = lane; k < cols; k += 32) {
                const float w = F::value(row, k);
#pragma unroll
                for (int n = 0; n < NB; ++n) acc[n] += w * __ldg(x + static_cast<size_t>(n) * cols + k);
            }
        }
        store_rows<NB>(acc, y, rows, r, accumulate);
    }
}

}  // namespace chelsea

// Two entry points per format, because registers are allocated per kernel: the batch kernel's
// eight accumulators per thread would cost the single-vector kernel (decode's) occupancy.
#define CHELSEA_MATVEC_CASE(BODY, F, N) \
    case N: chelsea::BODY<chelsea::F, N>(W, x, y, rows, cols, accumulate); break;

#define CHELSEA_MATVEC(name, BODY, F)                                                                    \
    extern "C" __global__ void __launch_bounds__(chelsea::MATVEC_THREADS)                                \
        chelsea_matvec_##name(const unsigned char* __restrict__ W, const float* __restrict__ x,          \
                              float* __restrict__ y, int rows, int cols, int accumulate) {               \
        chelsea::BODY<chelsea::F, 1>(W, x, y, rows, cols, accumulate);                                   \
    }                                                                                                    \
    extern "C" __global__ void __launch_bounds__(chelsea::MATVEC_THREADS)                                \
        chelsea_matvec_##name##_batch(const unsigned char* __restrict__ W, const float* __restrict__ x,  \
                                      float* __restrict__ y, int rows, int cols, int n, int accumulate) { \
        switch (n) {                                                                                     \
            CHELSEA_MATVEC_CASE(BODY, F, 1)                                                              \
            CHELSEA_MATVEC_CASE(BODY, F, 2)                                                              \
            CHELSEA_MATVEC_CASE(BODY, F, 3)                                                              \
            CHELSEA_MATVEC_CASE(BODY, F, 4)                                                              \
            CHELSEA_MATVEC_CASE(BODY, F, 5)                                                              \
            CHELSEA_MATVEC_CASE(BODY, F, 6)                                                              \
            CHELSEA_MATVEC_CASE(BODY, F, 7)                                                              \
            CHELSEA_MATVEC_CASE(BODY, F, 8)                                                              \
            default: break;                                                                              \
        }                                                                                                \
    }

CHELSEA_MATVEC(f32, matvec_float_format, F32)
CHELSEA_MATVEC(f16, matvec_float_format, F16)
CHELSEA_MATVEC(bf16, matvec_float_format, BF16)
CHELSEA_MATVEC(q8_0, matvec_block_format, Q8_0)
CHELSEA_MATVEC(q4_0, matvec_block_format, Q4_0)
CHELSEA_MATVEC(q4_1, matvec_block_format, Q4_1)
CHELSEA_MATVEC(q5_0, matvec_block_format, Q5_0)
CHELSEA_MATVEC(q4_k, matvec_block_format, Q4_K)
CHELSEA_MATVEC(q5_k, matvec_block_format, Q5_K)
CHELSEA_MATVEC(q6_k, matvec_block_format, Q6_K)
