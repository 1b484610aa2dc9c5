// Token embedding: out[t*cols + k] = W[tokens[t]][k], dequantized to float. Eight values per
// thread (one decode8), blockIdx.y is the token.
#include "chelsea.cuh"

namespace chelsea {

template <class F>
CH_DEV void get_rows_body(const uint8_t* __restrict__ W, const int* __restrict__ tokens, float* __restrict__ out,
                          int T, int rows, int cols) {
    const int t = blockIdx.y;
    const int k = (blockIdx.x * ROWS_THREADS + threadIdx.x) * 8;
    if (t >= T || k >= cols) return;
    const int tok = tokens[t];
    float v[8];
    if (tok >= 0 && tok < rows) {
        F::decode8(W + static_cast<size_t>(tok) * F::rowBytes(cols), k, cols, v);
    } else {
        // The host checks token ids; an id out of range reads nothing and yields zeros.
#pragma unroll
        for (int i = 0; i < 8; ++i) v[i] = 0.f;
    }
    float* dst = out + static_cast<size_t>(t) * cols + k;
    const int n = min(8, cols - k);
#pragma unroll
    for (int i = 0; i < 8; ++i)
        if (i < n) dst[i] = v[i];
}

}  // namespace chelsea

#define CHELSEA_GET_ROWS(name, F)                                                                   \
    extern "C" __global__ void __launch_bounds__(chelsea::ROWS_THREADS)                             \
        chelsea_get_rows_##name(const unsigned char* __restrict__ W, const int* __restrict__ tokens, \
                                float* __restrict__ out, int T, int rows, int cols) {               \
        chelsea::get_rows_body<chelsea::F>(W, tokens, out, T, rows, cols);                          \
    }

CHELSEA_GET_ROWS(f32, F32)
CHELSEA_GET_ROWS(f16, F16)
CHELSEA_GET_ROWS(bf16, BF16)
CHELSEA_GET_ROWS(q8_0, Q8_0)
CHELSEA_GET_ROWS(q4_0, Q4_0)
CHELSEA_GET_ROWS(q4_1, Q4_1)
CHELSEA_GET_ROWS(q5_0, Q5_0)
CHELSEA_GET_ROWS(q4_k, Q4_K)
CHELSEA_GET_ROWS(q5_k, Q5_K)
CHELSEA_GET_ROWS(q6_k, Q6_K)
