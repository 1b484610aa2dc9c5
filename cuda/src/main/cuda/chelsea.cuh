// Shared helpers of the Chelsea kernels: launch constants, loads that respect the 2-byte alignment
// of GGUF blocks, f16/bf16 conversion, warp/block reductions, and the block formats. Each format
// is decoded in one place (its struct below): decode8 gives floats (embedding rows, GEMM tiles),
// mv gives the integer dot product with 8-bit quantized activations (decode matrix-vector).
// The ABI built on these is described in README.md beside this file.
#pragma once

#include <cuda_fp16.h>
#include <stdint.h>

// Device helpers are inline with external linkage (not static): a static function gives its shared
// variables names with a per-build hash, and the PTX would differ from one build to the next.
#define CH_DEV __device__ __forceinline__

// The block's dynamic shared memory (a macro so that the host emulator of the tests can supply it).
#ifndef CHELSEA_DYNAMIC_SMEM
#define CHELSEA_DYNAMIC_SMEM(name) extern __shared__ __align__(16) unsigned char name[]
#endif

namespace chelsea {

// ---- launch constants (README.md states them for the host) ----
constexpr int MATVEC_THREADS = 256;  // 8 warps, one weight row per warp at a time
constexpr int MATVEC_ROWS = MATVEC_THREADS / 32;
constexpr int GEMM_THREADS = 128;    // 4 warps, each a 32x32 piece of the 64x64 tile
constexpr int GEMM_BM = 64;          // weight rows per tile
constexpr int GEMM_BN = 64;          // tokens per tile
constexpr int GEMM_BK = 32;          // columns per step
constexpr int ROWS_THREADS = 128;    // get_rows: 8 values per thread
constexpr int NORM_THREADS = 256;
constexpr int ELEM_THREADS = 256;
constexpr int ATTN_THREADS = 128;    // 4 warps
constexpr int ATTN_WARPS = ATTN_THREADS / 32;
constexpr int ATTN_TILE = 32;        // slots per warp step: one slot per lane for the scores
constexpr int ARGMAX_THREADS = 1024;

// Below any real logit and still finite: exp(NEG - m) is 0 and NEG - NEG is 0 (no inf - inf).
constexpr float NEG = -1e30f;

// ---- loads ----
// Weights are only 2-byte aligned in general (34-byte Q8_0 blocks), so a 32-bit word is read as
// two 16-bit halves unless the format guarantees more. All weight loads go through the read-only
// path: weights never change while a kernel runs.
CH_DEV uint32_t ld16(const uint8_t* p) { return __ldg(reinterpret_cast<const unsigned short*>(p)); }
CH_DEV uint32_t ld32a2(const uint8_t* p) {
    const unsigned short* h = reinterpret_cast<const unsigned short*>(p);
    return static_cast<uint32_t>(__ldg(h)) | (static_cast<uint32_t>(__ldg(h + 1)) << 16);
}
CH_DEV uint32_t ld32(const uint8_t* p) { return __ldg(reinterpret_cast<const unsigned int*>(p)); }
CH_DEV uint4 ld128(const uint8_t* p) { return __ldg(reinterpret_cast<const uint4*>(p)); }
CH_DEV int ld8s(const uint8_t* p) { return __ldg(reinterpret_cast<const signed char*>(p)); }

CH_DEV float f16(uint32_t bits) { return __half2float(__ushort_as_half(static_cast<unsigned short>(bits))); }
CH_DEV float bf16(uint32_t bits) { return __uint_as_float(bits << 16); }

// Byte i of w as a signed value.
CH_DEV int sbyte(uint32_t w, int i) { return static_cast<int>(static_cast<int8_t>(w >> (8 * i))); }

// Bits 0..3 of b moved to bit 0 of bytes 0..3 (the four terms of the product never overlap).
CH_DEV uint32_t spread4(uint32_t b) { return (b * 0x00204081u) & 0x01010101u; }

CH_DEV int dp4a(uint32_t a, uint32_t b, int c) { return __dp4a(static_cast<int>(a), static_cast<int>(b), c); }

// ---- reductions ----
CH_DEV float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
CH_DEV float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// Starts with a barrier so that a caller may use it twice in a row.
CH_DEV float block_sum(float v) {
    __shared__ float part[32];
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) part[warp] = v;
    __syncthreads();
    float s = lane < nw ? part[lane] : 0.f;
    return warp_sum(s);
}

CH_DEV float comp(const float4& v, int i) { return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w; }

// ---- activations quantized for the matrix-vector kernels ----
// Each block of 32 floats of x becomes 32 int8 q and a float2 (d, s): x ~ d * q with
// d = amax / 127, q = round-to-nearest-even(x * (127 / amax)), s = d * sum(q). In shared memory:
// xq[n][cols] int8, then xd[n][cols / 32] float2. The checker repeats this computation on the host
// bit for bit, so keep the two in step.
CH_DEV void quantize_x(const float* __restrict__ x, int n, int cols, int8_t* xq, float2* xd) {
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nw = blockDim.x >> 5;
    const int total = n * (cols >> 5);
    // 8 lanes per block of 32, 4 values per lane; loop bounds stay warp-uniform for the shuffles.
    for (int base = warp * 4; base < total; base += nw * 4) {
        const int g = base + (lane >> 3);
        const bool ok = g < total;
        float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
        if (ok) v = __ldg(reinterpret_cast<const float4*>(x + static_cast<size_t>(g) * 32 + (lane & 7) * 4));
        float amax = fmaxf(fmaxf(fabsf(v.x), fabsf(v.y)), fmaxf(fabsf(v.z), fabsf(v.w)));
        amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, 1));
        amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, 2));
        amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, 4));
        const float id = amax > 0.f ? 127.f / amax : 0.f;
        const int q0 = __float2int_rn(v.x * id), q1 = __float2int_rn(v.y * id);
        const int q2 = __float2int_rn(v.z * id), q3 = __float2int_rn(v.w * id);
        int sum = q0 + q1 + q2 + q3;
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        sum += __shfl_xor_sync(0xffffffffu, sum, 2);
        sum += __shfl_xor_sync(0xffffffffu, sum, 4);
        if (ok) {
            const uint32_t packed = (static_cast<uint32_t>(q0) & 0xFFu) | ((static_cast<uint32_t>(q1) & 0xFFu) << 8) |
                                    ((static_cast<uint32_t>(q2) & 0xFFu) << 16) | ((static_cast<uint32_t>(q3) & 0xFFu) << 24);
            *reinterpret_cast<uint32_t*>(xq + static_cast<size_t>(g) * 32 + (lane & 7) * 4) = packed;
            if ((lane & 7) == 0) {
                const float d = amax / 127.f;
                xd[g] = make_float2(d, d * static_cast<float>(sum));
            }
        }
    }
    __syncthreads();
}

// Sixteen int8 of quantized x as four words (shared memory, 16-byte aligned).
CH_DEV int4 xq16(const int8_t* p) { return *reinterpret_cast<const int4*>(p); }

// ---- block formats ----
// Every format has:
//   QK, BYTES            values and bytes per block
//   rowBytes(cols)       bytes of one row
//   decode8(row, k, cols, v)  v[0..8) = values k..k+7 of the row (k a multiple of 8; for the float
//                        formats values at or past cols read as 0, for the block formats k < cols)
// and the block formats also:
//   LPB                  lanes sharing one block in the matrix-vector kernel
//   mv<NB>(blk, part, xq, xd, cols, acc)  acc[b] += dot(block, x_b) for the part-th share of the
//                        block; the shares of all LPB parts add up to the whole block. xq / xd point
//                        at the block's first value / first 32-block in x_0; x_b is at +b*cols and
//                        +b*(cols/32).

struct F32 {
    static constexpr int QK = 1, BYTES = 4;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols) * 4; }
    static CH_DEV float value(const uint8_t* row, int k) { return __ldg(reinterpret_cast<const float*>(row) + k); }
    static CH_DEV void decode8(const uint8_t* row, int k, int cols, float* v) {
        if ((cols & 7) == 0) {  // rows are then 32-byte aligned
            const float4* p = reinterpret_cast<const float4*>(row) + (k >> 2);
            const float4 a = __ldg(p), b = __ldg(p + 1);
            v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w;
            v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
        } else {
#pragma unroll
            for (int i = 0; i < 8; ++i) v[i] = k + i < cols ? value(row, k + i) : 0.f;
        }
    }
};

struct F16 {
    static constexpr int QK = 1, BYTES = 2;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols) * 2; }
    static CH_DEV float value(const uint8_t* row, int k) { return f16(ld16(row + 2 * k)); }
    static CH_DEV void decode8(const uint8_t* row, int k, int cols, float* v) {
        if ((cols & 7) == 0) {  // rows are then 16-byte aligned
            const uint4 w = ld128(row + 2 * k);
            const uint32_t u[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                v[2 * i] = f16(u[i] & 0xFFFFu);
                v[2 * i + 1] = f16(u[i] >> 16);
            }
        } else {
#pragma unroll
            for (int i = 0; i < 8; ++i) v[i] = k + i < cols ? value(row, k + i) : 0.f;
        }
    }
};

struct BF16 {
    static constexpr int QK = 1, BYTES = 2;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols) * 2; }
    static CH_DEV float value(const uint8_t* row, int k) { return bf16(ld16(row + 2 * k)); }
    static CH_DEV void decode8(const uint8_t* row, int k, int cols, float* v) {
        if ((cols & 7) == 0) {
            const uint4 w = ld128(row + 2 * k);
            const uint32_t u[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                v[2 * i] = bf16(u[i] & 0xFFFFu);
                v[2 * i + 1] = bf16(u[i] >> 16);
            }
        } else {
#pragma unroll
            for (int i = 0; i < 8; ++i) v[i] = k + i < cols ? value(row, k + i) : 0.f;
        }
    }
};

// Q8_0: { f16 d; int8 qs[32]; } value = d * q. 34 bytes: 2-byte aligned.
// Four lanes per block: a warp's 16-bit loads then span 8 blocks (272 bytes, about 9 sectors) rather
// than 16; L1 moves every sector an instruction's lanes touch, so narrower is cheaper.
struct Q8_0 {
    static constexpr int QK = 32, BYTES = 34, LPB = 4;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols / QK) * BYTES; }
    static CH_DEV void decode8(const uint8_t* row, int k, int, float* v) {
        const uint8_t* b = row + static_cast<size_t>(k >> 5) * BYTES;
        const float d = f16(ld16(b));
        const uint8_t* q = b + 2 + (k & 31);
        const uint32_t w0 = ld32a2(q), w1 = ld32a2(q + 4);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            v[i] = d * static_cast<float>(sbyte(w0, i));
            v[4 + i] = d * static_cast<float>(sbyte(w1, i));
        }
    }
    // part p: values 8p .. 8p+7.
    template <int NB>
    static CH_DEV void mv(const uint8_t* b, int p, const int8_t* xq, const float2* xd, int cols, float (&acc)[NB]) {
        const float d = f16(ld16(b));
        const uint8_t* q = b + 2 + 8 * p;
        const uint32_t w0 = ld32a2(q), w1 = ld32a2(q + 4);
#pragma unroll
        for (int n = 0; n < NB; ++n) {
            const int2 x = *reinterpret_cast<const int2*>(xq + n * cols + 8 * p);
            const int s = dp4a(w0, x.x, dp4a(w1, x.y, 0));
            acc[n] += d * xd[n * (cols >> 5)].x * static_cast<float>(s);
        }
    }
};

// Q4_0: { f16 d; uint8 qs[16]; } byte j: value j (low nibble), value j+16 (high); value = d*(q-8).
struct Q4_0 {
    static constexpr int QK = 32, BYTES = 18, LPB = 2;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols / QK) * BYTES; }
    static CH_DEV void decode8(const uint8_t* row, int k, int, float* v) {
        const uint8_t* b = row + static_cast<size_t>(k >> 5) * BYTES;
        const float d = f16(ld16(b));
        const int j = k & 31, shift = j < 16 ? 0 : 4;
        const uint8_t* q = b + 2 + (j & 15);
        const uint32_t w0 = ld32a2(q), w1 = ld32a2(q + 4);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            v[i] = d * static_cast<float>(static_cast<int>((w0 >> (8 * i + shift)) & 15u) - 8);
            v[4 + i] = d * static_cast<float>(static_cast<int>((w1 >> (8 * i + shift)) & 15u) - 8);
        }
    }
    // part p: bytes 8p..8p+7, i.e. values 8p..8p+7 and 16+8p..16+8p+7. The -8 offset is applied
    // once per block, as -8 * d * s(x), by part 0.
    template <int NB>
    static CH_DEV void mv(const uint8_t* b, int p, const int8_t* xq, const float2* xd, int cols, float (&acc)[NB]) {
        const float d = f16(ld16(b));
        const uint8_t* q = b + 2 + 8 * p;
        const uint32_t w0 = ld32a2(q), w1 = ld32a2(q + 4);
        const uint32_t l0 = w0 & 0x0F0F0F0Fu, l1 = w1 & 0x0F0F0F0Fu;
        const uint32_t h0 = (w0 >> 4) & 0x0F0F0F0Fu, h1 = (w1 >> 4) & 0x0F0F0F0Fu;
        const float off = p == 0 ? 8.f : 0.f;
#pragma unroll
        for (int n = 0; n < NB; ++n) {
            const int8_t* x = xq + n * cols + 8 * p;
            const int2 xl = *reinterpret_cast<const int2*>(x), xh = *reinterpret_cast<const int2*>(x + 16);
            const int s = dp4a(l0, xl.x, dp4a(l1, xl.y, dp4a(h0, xh.x, dp4a(h1, xh.y, 0))));
            const float2 dx = xd[n * (cols >> 5)];
            acc[n] += d * (dx.x * static_cast<float>(s) - off * dx.y);
        }
    }
};

// Q4_1: { f16 d; f16 m; uint8 qs[16]; } nibbles as Q4_0; value = d*q + m. 20 bytes: 4-byte aligned.
struct Q4_1 {
    static constexpr int QK = 32, BYTES = 20, LPB = 2;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols / QK) * BYTES; }
    static CH_DEV void decode8(const uint8_t* row, int k, int, float* v) {
        const uint8_t* b = row + static_cast<size_t>(k >> 5) * BYTES;
        const uint32_t hdr = ld32(b);
        const float d = f16(hdr & 0xFFFFu), m = f16(hdr >> 16);
        const int j = k & 31, shift = j < 16 ? 0 : 4;
        const uint8_t* q = b + 4 + (j & 15);
        const uint32_t w0 = ld32(q), w1 = ld32(q + 4);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            v[i] = d * static_cast<float>((w0 >> (8 * i + shift)) & 15u) + m;
            v[4 + i] = d * static_cast<float>((w1 >> (8 * i + shift)) & 15u) + m;
        }
    }
    // As Q4_0; the m * sum(x) term is added once per block, as m * s(x), by part 0.
    template <int NB>
    static CH_DEV void mv(const uint8_t* b, int p, const int8_t* xq, const float2* xd, int cols, float (&acc)[NB]) {
        const uint32_t hdr = ld32(b);
        const float d = f16(hdr & 0xFFFFu), m = p == 0 ? f16(hdr >> 16) : 0.f;
        const uint8_t* q = b + 4 + 8 * p;
        const uint32_t w0 = ld32(q), w1 = ld32(q + 4);
        const uint32_t l0 = w0 & 0x0F0F0F0Fu, l1 = w1 & 0x0F0F0F0Fu;
        const uint32_t h0 = (w0 >> 4) & 0x0F0F0F0Fu, h1 = (w1 >> 4) & 0x0F0F0F0Fu;
#pragma unroll
        for (int n = 0; n < NB; ++n) {
            const int8_t* x = xq + n * cols + 8 * p;
            const int2 xl = *reinterpret_cast<const int2*>(x), xh = *reinterpret_cast<const int2*>(x + 16);
            const int s = dp4a(l0, xl.x, dp4a(l1, xl.y, dp4a(h0, xh.x, dp4a(h1, xh.y, 0))));
            const float2 dx = xd[n * (cols >> 5)];
            acc[n] += d * dx.x * static_cast<float>(s) + m * dx.y;
        }
    }
};

// Q5_0: { f16 d; uint8 qh[4]; uint8 qs[16]; } low nibbles as Q4_0, bit i of qh (little-endian) is
// the fifth bit of value i; value = d*(q-16). 22 bytes: 2-byte aligned.
struct Q5_0 {
    static constexpr int QK = 32, BYTES = 22, LPB = 2;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols / QK) * BYTES; }
    static CH_DEV void decode8(const uint8_t* row, int k, int, float* v) {
        const uint8_t* b = row + static_cast<size_t>(k >> 5) * BYTES;
        const float d = f16(ld16(b));
        const uint32_t qh = ld32a2(b + 2);
        const int j = k & 31, shift = j < 16 ? 0 : 4;
        const uint8_t* q = b + 6 + (j & 15);
        const uint32_t w0 = ld32a2(q), w1 = ld32a2(q + 4);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int q0 = static_cast<int>(((w0 >> (8 * i + shift)) & 15u) | (((qh >> (j + i)) & 1u) << 4));
            const int q1 = static_cast<int>(((w1 >> (8 * i + shift)) & 15u) | (((qh >> (j + 4 + i)) & 1u) << 4));
            v[i] = d * static_cast<float>(q0 - 16);
            v[4 + i] = d * static_cast<float>(q1 - 16);
        }
    }
    template <int NB>
    static CH_DEV void mv(const uint8_t* b, int p, const int8_t* xq, const float2* xd, int cols, float (&acc)[NB]) {
        const float d = f16(ld16(b));
        const uint32_t qh = ld32a2(b + 2);
        const uint8_t* q = b + 6 + 8 * p;
        const uint32_t w0 = ld32a2(q), w1 = ld32a2(q + 4);
        const uint32_t l0 = (w0 & 0x0F0F0F0Fu) | (spread4((qh >> (8 * p)) & 15u) << 4);
        const uint32_t l1 = (w1 & 0x0F0F0F0Fu) | (spread4((qh >> (8 * p + 4)) & 15u) << 4);
        const uint32_t h0 = ((w0 >> 4) & 0x0F0F0F0Fu) | (spread4((qh >> (16 + 8 * p)) & 15u) << 4);
        const uint32_t h1 = ((w1 >> 4) & 0x0F0F0F0Fu) | (spread4((qh >> (20 + 8 * p)) & 15u) << 4);
        const float off = p == 0 ? 16.f : 0.f;
#pragma unroll
        for (int n = 0; n < NB; ++n) {
            const int8_t* x = xq + n * cols + 8 * p;
            const int2 xl = *reinterpret_cast<const int2*>(x), xh = *reinterpret_cast<const int2*>(x + 16);
            const int s = dp4a(l0, xl.x, dp4a(l1, xl.y, dp4a(h0, xh.x, dp4a(h1, xh.y, 0))));
            const float2 dx = xd[n * (cols >> 5)];
            acc[n] += d * (dx.x * static_cast<float>(s) - off * dx.y);
        }
    }
};

// The 6-bit scale and min of sub-block j (0..7) of Q4_K/Q5_K from the twelve scale bytes read as
// three little-endian words a, b, c (ggml's get_scale_min_k4): sub-blocks 0..3 keep them in the
// low six bits of bytes j and j+4; sub-blocks 4..7 keep the low four bits in the nibbles of byte
// j+4 and the top two bits in the top bits of bytes j-4 (scale) and j (min).
CH_DEV void scale_min_k4(uint32_t a, uint32_t b, uint32_t c, int j, float& sc, float& mn) {
    const uint64_t s = (a & 0x3F3F3F3Fu) | (static_cast<uint64_t>((c & 0x0F0F0F0Fu) | ((a >> 2) & 0x30303030u)) << 32);
    const uint64_t m = (b & 0x3F3F3F3Fu) | (static_cast<uint64_t>(((c >> 4) & 0x0F0F0F0Fu) | ((b >> 2) & 0x30303030u)) << 32);
    sc = static_cast<float>(static_cast<uint32_t>(s >> (8 * j)) & 0xFFu);
    mn = static_cast<float>(static_cast<uint32_t>(m >> (8 * j)) & 0xFFu);
}

// Q4_K: { f16 d; f16 dmin; uint8 scales[12]; uint8 qs[128]; } 256 values; each 64 values share 32
// bytes of qs: low nibbles are sub-block 2c, high nibbles sub-block 2c+1; value = d*sc*q - dmin*m.
// 144 bytes: blocks are 16-byte aligned.
struct Q4_K {
    static constexpr int QK = 256, BYTES = 144, LPB = 8;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols / QK) * BYTES; }
    static CH_DEV void decode8(const uint8_t* row, int k, int, float* v) {
        const uint8_t* b = row + static_cast<size_t>(k >> 8) * BYTES;
        const uint4 h = ld128(b);
        const int kk = k & 255, c = kk >> 6, l = kk & 63, hi = l >> 5, sub = 2 * c + hi;
        float sc, mn;
        scale_min_k4(h.y, h.z, h.w, sub, sc, mn);
        const float d1 = f16(h.x & 0xFFFFu) * sc, m1 = f16(h.x >> 16) * mn;
        const uint8_t* q = b + 16 + 32 * c + (l & 31);
        const uint32_t w0 = ld32(q), w1 = ld32(q + 4);
        const int shift = 4 * hi;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            v[i] = d1 * static_cast<float>((w0 >> (8 * i + shift)) & 15u) - m1;
            v[4 + i] = d1 * static_cast<float>((w1 >> (8 * i + shift)) & 15u) - m1;
        }
    }
    // part p: c = p/2, bytes 32c + 16(p%2) .. +16 of qs: values 16(p%2).. of sub-blocks 2c and 2c+1.
    // The min terms are added once per sub-block pair, as dmin*m*s(x), by the even part.
    template <int NB>
    static CH_DEV void mv(const uint8_t* b, int p, const int8_t* xq, const float2* xd, int cols, float (&acc)[NB]) {
        const int c = p >> 1, hp = p & 1;
        const uint4 h = ld128(b);
        const uint4 q = ld128(b + 16 + 32 * c + 16 * hp);
        float sc0, mn0, sc1, mn1;
        scale_min_k4(h.y, h.z, h.w, 2 * c, sc0, mn0);
        scale_min_k4(h.y, h.z, h.w, 2 * c + 1, sc1, mn1);
        const float d = f16(h.x & 0xFFFFu), dmin = hp == 0 ? f16(h.x >> 16) : 0.f;
        const uint32_t lo[4] = {q.x & 0x0F0F0F0Fu, q.y & 0x0F0F0F0Fu, q.z & 0x0F0F0F0Fu, q.w & 0x0F0F0F0Fu};
        const uint32_t hi[4] = {(q.x >> 4) & 0x0F0F0F0Fu, (q.y >> 4) & 0x0F0F0F0Fu, (q.z >> 4) & 0x0F0F0F0Fu,
                                (q.w >> 4) & 0x0F0F0F0Fu};
        dot_pair<NB>(lo, hi, d, sc0, sc1, dmin, mn0, mn1, xq + n0(c, hp), xd + 2 * c, cols, acc);
    }
    static CH_DEV int n0(int c, int hp) { return 64 * c + 16 * hp; }
    // acc += d*(sc0*dx0*sum(lo*x0) + sc1*dx1*sum(hi*x1)) - dmin*(mn0*s0 + mn1*s1), where x0 are the
    // 16 values at x, x1 the 16 values 32 further on, (dx0, s0) and (dx1, s1) their 32-blocks.
    template <int NB>
    static CH_DEV void dot_pair(const uint32_t (&lo)[4], const uint32_t (&hi)[4], float d, float sc0, float sc1, float dmin,
                         float mn0, float mn1, const int8_t* x, const float2* xd, int cols, float (&acc)[NB]) {
#pragma unroll
        for (int n = 0; n < NB; ++n) {
            const int4 xl = xq16(x + n * cols), xh = xq16(x + n * cols + 32);
            const int sl = dp4a(lo[0], xl.x, dp4a(lo[1], xl.y, dp4a(lo[2], xl.z, dp4a(lo[3], xl.w, 0))));
            const int sh = dp4a(hi[0], xh.x, dp4a(hi[1], xh.y, dp4a(hi[2], xh.z, dp4a(hi[3], xh.w, 0))));
            const float2 d0 = xd[n * (cols >> 5)], d1 = xd[n * (cols >> 5) + 1];
            acc[n] += d * (sc0 * d0.x * static_cast<float>(sl) + sc1 * d1.x * static_cast<float>(sh)) -
                      dmin * (mn0 * d0.y + mn1 * d1.y);
        }
    }
};

// Q5_K: { f16 d; f16 dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]; } low four bits as Q4_K;
// the fifth bit of value l of sub-block j is bit j of qh[l]. 176 bytes: 16-byte aligned.
struct Q5_K {
    static constexpr int QK = 256, BYTES = 176, LPB = 8;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols / QK) * BYTES; }
    static CH_DEV void decode8(const uint8_t* row, int k, int, float* v) {
        const uint8_t* b = row + static_cast<size_t>(k >> 8) * BYTES;
        const uint4 h = ld128(b);
        const int kk = k & 255, c = kk >> 6, l = kk & 63, hi = l >> 5, sub = 2 * c + hi;
        float sc, mn;
        scale_min_k4(h.y, h.z, h.w, sub, sc, mn);
        const float d1 = f16(h.x & 0xFFFFu) * sc, m1 = f16(h.x >> 16) * mn;
        const uint8_t* q = b + 48 + 32 * c + (l & 31);
        const uint8_t* qh = b + 16 + (l & 31);
        const uint32_t w0 = ld32(q), w1 = ld32(q + 4), e0 = ld32(qh), e1 = ld32(qh + 4);
        const int shift = 4 * hi;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const uint32_t a0 = ((w0 >> (8 * i + shift)) & 15u) | (((e0 >> (8 * i + sub)) & 1u) << 4);
            const uint32_t a1 = ((w1 >> (8 * i + shift)) & 15u) | (((e1 >> (8 * i + sub)) & 1u) << 4);
            v[i] = d1 * static_cast<float>(a0) - m1;
            v[4 + i] = d1 * static_cast<float>(a1) - m1;
        }
    }
    template <int NB>
    static CH_DEV void mv(const uint8_t* b, int p, const int8_t* xq, const float2* xd, int cols, float (&acc)[NB]) {
        const int c = p >> 1, hp = p & 1;
        const uint4 h = ld128(b);
        const uint4 q = ld128(b + 48 + 32 * c + 16 * hp);
        const uint4 e = ld128(b + 16 + 16 * hp);
        float sc0, mn0, sc1, mn1;
        scale_min_k4(h.y, h.z, h.w, 2 * c, sc0, mn0);
        scale_min_k4(h.y, h.z, h.w, 2 * c + 1, sc1, mn1);
        const float d = f16(h.x & 0xFFFFu), dmin = hp == 0 ? f16(h.x >> 16) : 0.f;
        const uint32_t qw[4] = {q.x, q.y, q.z, q.w}, ew[4] = {e.x, e.y, e.z, e.w};
        uint32_t lo[4], hi[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            lo[i] = (qw[i] & 0x0F0F0F0Fu) | (((ew[i] >> (2 * c)) & 0x01010101u) << 4);
            hi[i] = ((qw[i] >> 4) & 0x0F0F0F0Fu) | (((ew[i] >> (2 * c + 1)) & 0x01010101u) << 4);
        }
        Q4_K::dot_pair<NB>(lo, hi, d, sc0, sc1, dmin, mn0, mn1, xq + Q4_K::n0(c, hp), xd + 2 * c, cols, acc);
    }
};

// Q6_K: { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; f16 d; } 256 values in two halves of 128.
// In half h, for l < 32 and t in {0, 1}: value l + 32t takes the low nibble of ql[64h + l + 32t],
// value l + 64 + 32t its high nibble; their top two bits are bits 2t..2t+1 and 2t+4..2t+5 of
// qh[32h + l]; scales: sc[8h + l/16 + 2t] and sc[8h + l/16 + 4 + 2t]; value = d*sc*(q-32).
// 210 bytes: 2-byte aligned. A whole warp per block, so that its 16-bit loads span one block (about
// 8 sectors) rather than four.
struct Q6_K {
    static constexpr int QK = 256, BYTES = 210, LPB = 32;
    static CH_DEV size_t rowBytes(int cols) { return static_cast<size_t>(cols / QK) * BYTES; }
    static CH_DEV void decode8(const uint8_t* row, int k, int, float* v) {
        const uint8_t* b = row + static_cast<size_t>(k >> 8) * BYTES;
        const int kk = k & 255, h = kk >> 7, r = kk & 127, hi = r >> 6, t = (r >> 5) & 1, l = r & 31;
        const float ds = f16(ld16(b + 208)) * static_cast<float>(ld8s(b + 192 + 8 * h + (l >> 4) + 4 * hi + 2 * t));
        const uint8_t* ql = b + 64 * h + 32 * t + l;
        const uint8_t* qh = b + 128 + 32 * h + l;
        const uint32_t w0 = ld32a2(ql), w1 = ld32a2(ql + 4), e0 = ld32a2(qh), e1 = ld32a2(qh + 4);
        const int ns = 4 * hi, hs = 2 * t + 4 * hi;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int a0 = static_cast<int>(((w0 >> (8 * i + ns)) & 15u) | (((e0 >> (8 * i + hs)) & 3u) << 4));
            const int a1 = static_cast<int>(((w1 >> (8 * i + ns)) & 15u) | (((e1 >> (8 * i + hs)) & 3u) << 4));
            v[i] = ds * static_cast<float>(a0 - 32);
            v[4 + i] = ds * static_cast<float>(a1 - 32);
        }
    }
    // part p: h = p/16, t = (p/8)%2, l = 4(p%8): the low-nibble values 128h + 32t + l .. +3 and the
    // high-nibble values 64 further on.
    template <int NB>
    static CH_DEV void mv(const uint8_t* b, int p, const int8_t* xq, const float2* xd, int cols, float (&acc)[NB]) {
        const int h = p >> 4, t = (p >> 3) & 1, l = 4 * (p & 7);
        const uint32_t w = ld32a2(b + 64 * h + 32 * t + l), e = ld32a2(b + 128 + 32 * h + l);
        const float d = f16(ld16(b + 208));
        const float sl = static_cast<float>(ld8s(b + 192 + 8 * h + (l >> 4) + 2 * t));
        const float sh = static_cast<float>(ld8s(b + 192 + 8 * h + (l >> 4) + 4 + 2 * t));
        const uint32_t lo = __vsub4((w & 0x0F0F0F0Fu) | (((e >> (2 * t)) & 0x03030303u) << 4), 0x20202020u);
        const uint32_t hi = __vsub4(((w >> 4) & 0x0F0F0F0Fu) | (((e >> (2 * t + 4)) & 0x03030303u) << 4), 0x20202020u);
        const int8_t* x = xq + 128 * h + 32 * t + l;
        const float2* dxp = xd + 4 * h + t;
#pragma unroll
        for (int n = 0; n < NB; ++n) {
            const int xl = *reinterpret_cast<const int*>(x + n * cols);
            const int xh = *reinterpret_cast<const int*>(x + n * cols + 64);
            const float dx0 = dxp[n * (cols >> 5)].x, dx1 = dxp[n * (cols >> 5) + 2].x;
            acc[n] += d * (sl * dx0 * static_cast<float>(dp4a(lo, xl, 0)) + sh * dx1 * static_cast<float>(dp4a(hi, xh, 0)));
        }
    }
};

}  // namespace chelsea
