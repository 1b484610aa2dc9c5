// Compiles the CUDA C kernels of src/main/cuda as host C++ (force-included before them by
// build-emu-check.sh), so that the checker can run the kernels' own source on a machine without a
// GPU. Built-in variables, barriers, shuffles and the few intrinsics the kernels use map to the
// fiber runtime of emu_runtime.cpp; WMMA fragments hold the whole tile and lane 0 of each warp does
// the arithmetic (with TF32 inputs truncated as the tensor cores do). Float arithmetic is the
// host's (no FMA contraction), so results differ from a GPU's in the last bits, not more.
#pragma once

#include <cuda_fp16.h>
#include <vector_functions.h>
#include <vector_types.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "emu_api.h"

namespace emu {
const Dim3& threadIdx3();
const Dim3& blockIdx3();
const Dim3& blockDim3();
const Dim3& gridDim3();
unsigned char* dynamicSmem();
void blockBarrier();
void warpSync(unsigned mask);
uint32_t shflXor(unsigned mask, uint32_t v, int laneMask);
int lane();
void checkAlign(const void* p, size_t align, const char* what);
}  // namespace emu

#undef __global__
#define __global__
#undef __device__
#define __device__
#undef __host__
#define __host__
#undef __shared__
#define __shared__ static
#undef __launch_bounds__
#define __launch_bounds__(...)
#undef __forceinline__
#define __forceinline__ inline
#define CHELSEA_DYNAMIC_SMEM(name) unsigned char* name = ::emu::dynamicSmem()

#define threadIdx (::emu::threadIdx3())
#define blockIdx (::emu::blockIdx3())
#define blockDim (::emu::blockDim3())
#define gridDim (::emu::gridDim3())

template <class T>
inline T __ldg(const T* p) {
    ::emu::checkAlign(p, alignof(T), "__ldg");
    return *p;
}
inline void __syncthreads() { ::emu::blockBarrier(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::emu::warpSync(mask); }
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
    static_assert(sizeof(T) == 4, "32-bit shuffles only");
    (void)width;
    uint32_t u;
    std::memcpy(&u, &v, 4);
    u = ::emu::shflXor(mask, u, laneMask);
    std::memcpy(&v, &u, 4);
    return v;
}
inline int __dp4a(int a, int b, int c) {
    for (int i = 0; i < 4; ++i)
        c += static_cast<int>(static_cast<int8_t>(a >> (8 * i))) * static_cast<int>(static_cast<int8_t>(b >> (8 * i)));
    return c;
}
inline unsigned __vsub4(unsigned a, unsigned b) {
    unsigned r = 0;
    for (int i = 0; i < 4; ++i) r |= ((((a >> (8 * i)) & 0xFFu) - ((b >> (8 * i)) & 0xFFu)) & 0xFFu) << (8 * i);
    return r;
}
inline float __uint_as_float(unsigned u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline int __float2int_rn(float x) { return static_cast<int>(std::nearbyint(x)); }
inline float __expf(float x) { return std::exp(x); }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }

namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
}  // namespace precision
enum layout_t { mem_row_major, mem_col_major };

// Round to TF32 (10-bit mantissa), to nearest with ties away from zero, as cvt.rna.tf32.f32.
inline float __float_to_tf32(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
    std::memcpy(&f, &u, 4);
    return f;
}
// What the tensor cores read of a float operand: its top 19 bits.
inline float tf32_truncate(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u &= 0xffffe000u;
    std::memcpy(&f, &u, 4);
    return f;
}

template <class Use, int M, int N, int K, class T = float, class Layout = void>
struct fragment;
template <>
struct fragment<matrix_a, 16, 16, 8, precision::tf32, row_major> {
    float v[16][8];
};
template <>
struct fragment<matrix_b, 16, 16, 8, precision::tf32, col_major> {
    float v[8][16];
};
template <>
struct fragment<accumulator, 16, 16, 8, float, void> {
    float v[16][16];
};

inline void fill_fragment(fragment<accumulator, 16, 16, 8, float>& c, float x) {
    for (auto& r : c.v)
        for (float& e : r) e = x;
}
inline void check_ptr(const float* p, unsigned ldm) {
    ::emu::checkAlign(p, 32, "wmma pointer");
    if (ldm % 4 != 0) ::emu::checkAlign(nullptr, 0, "wmma ldm not a multiple of 4");
}
inline void load_matrix_sync(fragment<matrix_a, 16, 16, 8, precision::tf32, row_major>& a, const float* p, unsigned ldm) {
    ::emu::warpSync(0xffffffffu);
    check_ptr(p, ldm);
    if (::emu::lane() != 0) return;
    for (int m = 0; m < 16; ++m)
        for (int k = 0; k < 8; ++k) a.v[m][k] = p[m * ldm + k];
}
inline void load_matrix_sync(fragment<matrix_b, 16, 16, 8, precision::tf32, col_major>& b, const float* p, unsigned ldm) {
    ::emu::warpSync(0xffffffffu);
    check_ptr(p, ldm);
    if (::emu::lane() != 0) return;
    for (int n = 0; n < 16; ++n)
        for (int k = 0; k < 8; ++k) b.v[k][n] = p[n * ldm + k];
}
inline void mma_sync(fragment<accumulator, 16, 16, 8, float>& d, const fragment<matrix_a, 16, 16, 8, precision::tf32, row_major>& a,
                     const fragment<matrix_b, 16, 16, 8, precision::tf32, col_major>& b,
                     const fragment<accumulator, 16, 16, 8, float>& c) {
    ::emu::warpSync(0xffffffffu);
    if (::emu::lane() != 0) return;
    for (int m = 0; m < 16; ++m)
        for (int n = 0; n < 16; ++n) {
            float s = c.v[m][n];
            for (int k = 0; k < 8; ++k) s += tf32_truncate(a.v[m][k]) * tf32_truncate(b.v[k][n]);
            d.v[m][n] = s;
        }
}
inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 8, float>& c, unsigned ldm, layout_t layout) {
    ::emu::warpSync(0xffffffffu);
    check_ptr(p, ldm);
    if (::emu::lane() != 0) return;
    for (int m = 0; m < 16; ++m)
        for (int n = 0; n < 16; ++n) {
            if (layout == mem_col_major)
                p[n * ldm + m] = c.v[m][n];
            else
                p[m * ldm + n] = c.v[m][n];
        }
}
}  // namespace wmma
}  // namespace nvcuda
