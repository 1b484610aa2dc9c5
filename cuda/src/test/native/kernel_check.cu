// Standalone check of the shipped Chelsea kernels on a CUDA device.
//
// Loads chelsea-kernels.ptx (JIT by the driver) and chelsea-kernels.sm_90.cubin through the driver
// API exactly as the Java host does (cuModuleLoadData, cuModuleGetFunction, cuLaunchKernel with
// the launch rules of src/main/cuda/README.md), runs every kernel on random data for several
// shapes, compares with float64 references computed here, and prints one table row per check:
// the largest absolute error, the error relative to the check's scale, the tolerance, pass/fail,
// and for the memory-bound kernels the achieved bandwidth (cuEvent timing, both modules).
//
// Exit status: 0 all passed, 1 a check failed (or a CUDA call did), 2 no usable device (libcuda
// missing, cuInit failing, no device). libcuda.so.1 is opened with dlopen, so the binary starts
// (and says why) on a machine without a driver.
//
// Usage: kernel_check [--quick] [RESOURCE_DIR]
//   RESOURCE_DIR holds chelsea-kernels.ptx and chelsea-kernels.sm_90.cubin (default: the
//   src/main/resources/dev/chelsea/cuda folder beside this binary's target/ folder).
//   --quick skips the large timing shapes; --small keeps only the shapes that the host emulator
//   (build-emu-check.sh) runs in seconds.
#include <cuda.h>
#include <cuda_fp16.h>
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

// ---------------------------------------------------------------- driver API through dlopen
struct Driver {
    CUresult (*Init)(unsigned int);
    CUresult (*DriverGetVersion)(int*);
    CUresult (*DeviceGetCount)(int*);
    CUresult (*DeviceGet)(CUdevice*, int);
    CUresult (*DeviceGetName)(char*, int, CUdevice);
    CUresult (*DeviceGetAttribute)(int*, CUdevice_attribute, CUdevice);
    CUresult (*DevicePrimaryCtxRetain)(CUcontext*, CUdevice);
    CUresult (*CtxSetCurrent)(CUcontext);
    CUresult (*CtxSynchronize)(void);
    CUresult (*ModuleLoadData)(CUmodule*, const void*);
    CUresult (*ModuleLoadDataEx)(CUmodule*, const void*, unsigned int, CUjit_option*, void**);
    CUresult (*ModuleGetFunction)(CUfunction*, CUmodule, const char*);
    CUresult (*MemAlloc)(CUdeviceptr*, size_t);
    CUresult (*MemFree)(CUdeviceptr);
    CUresult (*MemcpyHtoD)(CUdeviceptr, const void*, size_t);
    CUresult (*MemcpyDtoH)(void*, CUdeviceptr, size_t);
    CUresult (*MemsetD8)(CUdeviceptr, unsigned char, size_t);
    CUresult (*LaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             CUstream, void**, void**);
    CUresult (*FuncSetAttribute)(CUfunction, CUfunction_attribute, int);
    CUresult (*EventCreate)(CUevent*, unsigned int);
    CUresult (*EventRecord)(CUevent, CUstream);
    CUresult (*EventSynchronize)(CUevent);
    CUresult (*EventElapsedTime)(float*, CUevent, CUevent);
    CUresult (*GetErrorName)(CUresult, const char**);
    CUresult (*GetErrorString)(CUresult, const char**);
};
static Driver cu;

#ifdef CHELSEA_EMU
#include "emu/emu_driver.h"
#else
static bool loadDriver(std::string& why) {
    void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* e = dlerror();
        why = std::string("libcuda.so.1 cannot be loaded: ") + (e ? e : "?");
        return false;
    }
    bool ok = true;
    auto sym = [&](auto& fp, const char* name, const char* alt = nullptr) {
        void* p = dlsym(h, name);
        if (!p && alt) p = dlsym(h, alt);
        if (!p) {
            why += std::string(why.empty() ? "" : ", ") + "missing " + name;
            ok = false;
        }
        fp = reinterpret_cast<std::remove_reference_t<decltype(fp)>>(p);
    };
    sym(cu.Init, "cuInit");
    sym(cu.DriverGetVersion, "cuDriverGetVersion");
    sym(cu.DeviceGetCount, "cuDeviceGetCount");
    sym(cu.DeviceGet, "cuDeviceGet");
    sym(cu.DeviceGetName, "cuDeviceGetName");
    sym(cu.DeviceGetAttribute, "cuDeviceGetAttribute");
    sym(cu.DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    sym(cu.CtxSetCurrent, "cuCtxSetCurrent");
    sym(cu.CtxSynchronize, "cuCtxSynchronize");
    sym(cu.ModuleLoadData, "cuModuleLoadData");
    sym(cu.ModuleLoadDataEx, "cuModuleLoadDataEx");
    sym(cu.ModuleGetFunction, "cuModuleGetFunction");
    sym(cu.MemAlloc, "cuMemAlloc_v2");
    sym(cu.MemFree, "cuMemFree_v2");
    sym(cu.MemcpyHtoD, "cuMemcpyHtoD_v2");
    sym(cu.MemcpyDtoH, "cuMemcpyDtoH_v2");
    sym(cu.MemsetD8, "cuMemsetD8_v2");
    sym(cu.LaunchKernel, "cuLaunchKernel");
    sym(cu.FuncSetAttribute, "cuFuncSetAttribute");
    sym(cu.EventCreate, "cuEventCreate");
    sym(cu.EventRecord, "cuEventRecord");
    sym(cu.EventSynchronize, "cuEventSynchronize");
    sym(cu.EventElapsedTime, "cuEventElapsedTime_v2", "cuEventElapsedTime");
    sym(cu.GetErrorName, "cuGetErrorName");
    sym(cu.GetErrorString, "cuGetErrorString");
    return ok;
}
#endif

static std::string errText(CUresult r) {
    const char* n = nullptr;
    const char* s = nullptr;
    if (cu.GetErrorName) cu.GetErrorName(r, &n);
    if (cu.GetErrorString) cu.GetErrorString(r, &s);
    return std::string(n ? n : "CUDA_ERROR_?") + " (" + std::to_string(static_cast<int>(r)) + "): " + (s ? s : "");
}

static void check(CUresult r, const char* what, int line) {
    if (r != CUDA_SUCCESS) {
        std::fprintf(stderr, "kernel_check: %s failed at line %d: %s\n", what, line, errText(r).c_str());
        std::exit(1);
    }
}
#define CK(call) check((call), #call, __LINE__)

// ---------------------------------------------------------------- device buffers and launches
struct Buf {
    CUdeviceptr p = 0;
    size_t bytes = 0;
    explicit Buf(size_t n) : bytes(n) { CK(cu.MemAlloc(&p, std::max<size_t>(n, 16))); }
    Buf(const Buf&) = delete;
    Buf& operator=(const Buf&) = delete;
    ~Buf() {
        if (p) cu.MemFree(p);
    }
    template <class T>
    void up(const std::vector<T>& v) { CK(cu.MemcpyHtoD(p, v.data(), v.size() * sizeof(T))); }
    template <class T>
    std::vector<T> down(size_t n) const {
        std::vector<T> v(n);
        CK(cu.MemcpyDtoH(v.data(), p, n * sizeof(T)));
        return v;
    }
    void poison() { CK(cu.MemsetD8(p, 0xFF, bytes)); }  // NaN as float, -1 as int
};

struct Module {
    std::string label;
    CUmodule mod = nullptr;
    std::map<std::string, CUfunction> fns;
    CUfunction fn(const std::string& name) {
        auto it = fns.find(name);
        if (it != fns.end()) return it->second;
        CUfunction f;
        CUresult r = cu.ModuleGetFunction(&f, mod, name.c_str());
        if (r != CUDA_SUCCESS) {
            std::fprintf(stderr, "kernel_check: kernel %s not found in the %s module: %s\n", name.c_str(),
                         label.c_str(), errText(r).c_str());
            std::exit(1);
        }
        fns[name] = f;
        return f;
    }
};

struct Dim {
    unsigned x, y, z;
};

struct Launch {
    CUfunction f;
    Dim grid, block;
    unsigned smem;
    std::vector<void*> args;
    void enqueue() const {
        CK(cu.LaunchKernel(f, grid.x, grid.y, grid.z, block.x, block.y, block.z, smem, nullptr,
                           const_cast<void**>(args.data()), nullptr));
    }
    void run() const {
        enqueue();
        CK(cu.CtxSynchronize());
    }
};

// Copies of an input of `bytes` that a timing loop rotates through so that its data is not found
// in L2 (60 MB on an H200) from the previous launch: real decode reads each weight once per step.
static int copiesFor(size_t bytes) {
    return bytes >= (200u << 20) ? 1 : static_cast<int>(std::min<size_t>(8, ((200u << 20) + bytes - 1) / bytes));
}

// Mean milliseconds of one round of `launches` over `reps` rounds after two warm-up rounds.
static double timeMs(const std::vector<Launch>& launches, int reps) {
    for (int i = 0; i < 2; ++i)
        for (auto& l : launches) l.enqueue();
    CUevent a, b;
    CK(cu.EventCreate(&a, CU_EVENT_DEFAULT));
    CK(cu.EventCreate(&b, CU_EVENT_DEFAULT));
    CK(cu.EventRecord(a, nullptr));
    for (int i = 0; i < reps; ++i)
        for (auto& l : launches) l.enqueue();
    CK(cu.EventRecord(b, nullptr));
    CK(cu.EventSynchronize(b));
    float ms = 0.f;
    CK(cu.EventElapsedTime(&ms, a, b));
    return ms / reps;
}

// ---------------------------------------------------------------- report
struct Row {
    std::string kernel, shape;
    double absErr, relErr, tol;
    bool pass;
    std::string perf;
};
static std::vector<Row> g_rows;
static int g_failed = 0;

static void printHeader() {
    std::printf("%-34s %-34s %10s %10s %8s %-6s %s\n", "kernel", "shape", "max|err|", "rel.err", "tol", "result",
                "perf (ptx / cubin)");
}
static void printRow(const Row& r) {
    std::printf("%-34s %-34s %10.2e %10.2e %8.0e %-6s %s\n", r.kernel.c_str(), r.shape.c_str(), r.absErr, r.relErr,
                r.tol, r.pass ? "pass" : "FAIL", r.perf.c_str());
    std::fflush(stdout);
}
static void report(const std::string& kernel, const std::string& shape, double absErr, double relErr, double tol,
                   const std::string& perf = "") {
    Row r{kernel, shape, absErr, relErr, tol, relErr <= tol, perf};  // NaN fails
    if (!r.pass) ++g_failed;
    g_rows.push_back(r);
    printRow(r);
}

// ---------------------------------------------------------------- host data
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint64_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545F4914F6CDD1Dull;
    }
    double uni() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
    float sym() { return static_cast<float>(2.0 * uni() - 1.0); }
    int below(int n) { return static_cast<int>(uni() * n); }
};

static uint16_t halfBits(float f) {
    __half h = __float2half_rn(f);
    __half_raw r = h;
    return r.x;
}
static double halfValue(uint16_t bits) {
    __half_raw r;
    r.x = bits;
    return static_cast<double>(__half2float(__half(r)));
}
static uint16_t ld16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
static void st16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
}

enum Fmt { F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q5_K, Q6_K };
struct FmtInfo {
    const char* name;
    int qk, bytes;
};
static const FmtInfo kFmt[] = {{"f32", 1, 4},    {"f16", 1, 2},    {"bf16", 1, 2},   {"q8_0", 32, 34},
                               {"q4_0", 32, 18}, {"q4_1", 32, 20}, {"q5_0", 32, 22}, {"q4_k", 256, 144},
                               {"q5_k", 256, 176}, {"q6_k", 256, 210}};
static bool blockFormat(Fmt f) { return kFmt[f].qk > 1; }
static size_t rowBytes(Fmt f, int cols) { return static_cast<size_t>(cols / kFmt[f].qk) * kFmt[f].bytes; }

// A random row: random bytes for the quantized values (every bit pattern is valid), scales set to
// finite values of a realistic size.
static void genRow(Fmt f, uint8_t* row, int cols, Rng& rng) {
    const size_t n = rowBytes(f, cols);
    if (f == F32) {
        for (int i = 0; i < cols; ++i) {
            const float v = rng.sym();
            std::memcpy(row + 4 * i, &v, 4);
        }
        return;
    }
    if (f == F16) {
        for (int i = 0; i < cols; ++i) st16(row + 2 * i, halfBits(rng.sym()));
        return;
    }
    if (f == BF16) {
        for (int i = 0; i < cols; ++i) {
            const float v = rng.sym();
            uint32_t u;
            std::memcpy(&u, &v, 4);
            st16(row + 2 * i, static_cast<uint16_t>(u >> 16));
        }
        return;
    }
    for (size_t i = 0; i < n; i += 8) {
        const uint64_t v = rng.next();
        std::memcpy(row + i, &v, std::min<size_t>(8, n - i));
    }
    const int nb = cols / kFmt[f].qk;
    for (int b = 0; b < nb; ++b) {
        uint8_t* p = row + static_cast<size_t>(b) * kFmt[f].bytes;
        switch (f) {
            case Q8_0: st16(p, halfBits(rng.sym() * 0.01f)); break;
            case Q4_0:
            case Q5_0: st16(p, halfBits(rng.sym() * 0.02f)); break;
            case Q4_1:
                st16(p, halfBits(0.02f * static_cast<float>(rng.uni())));
                st16(p + 2, halfBits(rng.sym() * 0.1f));
                break;
            case Q4_K:
            case Q5_K:
                st16(p, halfBits(0.002f * static_cast<float>(rng.uni())));
                st16(p + 2, halfBits(0.002f * static_cast<float>(rng.uni())));
                break;
            case Q6_K: st16(p + 208, halfBits(rng.sym() * 0.002f)); break;
            default: break;
        }
    }
}

static void scaleMinK4(int j, const uint8_t* q, int& d, int& m) {
    if (j < 4) {
        d = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// The reference decoding, written after ggml's dequantize_row_* (scalar, in double).
static void refRow(Fmt f, const uint8_t* row, int cols, double* y) {
    const int nb = cols / kFmt[f].qk;
    switch (f) {
        case F32:
            for (int i = 0; i < cols; ++i) {
                float v;
                std::memcpy(&v, row + 4 * i, 4);
                y[i] = v;
            }
            return;
        case F16:
            for (int i = 0; i < cols; ++i) y[i] = halfValue(ld16(row + 2 * i));
            return;
        case BF16:
            for (int i = 0; i < cols; ++i) {
                const uint32_t u = static_cast<uint32_t>(ld16(row + 2 * i)) << 16;
                float v;
                std::memcpy(&v, &u, 4);
                y[i] = v;
            }
            return;
        default: break;
    }
    for (int i = 0; i < nb; ++i) {
        const uint8_t* b = row + static_cast<size_t>(i) * kFmt[f].bytes;
        double* o = y + static_cast<size_t>(i) * kFmt[f].qk;
        switch (f) {
            case Q8_0: {
                const double d = halfValue(ld16(b));
                for (int j = 0; j < 32; ++j) o[j] = d * static_cast<int8_t>(b[2 + j]);
                break;
            }
            case Q4_0: {
                const double d = halfValue(ld16(b));
                for (int j = 0; j < 16; ++j) {
                    o[j] = d * ((b[2 + j] & 0xF) - 8);
                    o[j + 16] = d * ((b[2 + j] >> 4) - 8);
                }
                break;
            }
            case Q4_1: {
                const double d = halfValue(ld16(b)), m = halfValue(ld16(b + 2));
                for (int j = 0; j < 16; ++j) {
                    o[j] = d * (b[4 + j] & 0xF) + m;
                    o[j + 16] = d * (b[4 + j] >> 4) + m;
                }
                break;
            }
            case Q5_0: {
                const double d = halfValue(ld16(b));
                const uint32_t qh = b[2] | (b[3] << 8) | (b[4] << 16) | (static_cast<uint32_t>(b[5]) << 24);
                for (int j = 0; j < 16; ++j) {
                    const int xh0 = ((qh >> j) << 4) & 0x10;
                    const int xh1 = (qh >> (j + 12)) & 0x10;
                    o[j] = d * (((b[6 + j] & 0xF) | xh0) - 16);
                    o[j + 16] = d * (((b[6 + j] >> 4) | xh1) - 16);
                }
                break;
            }
            case Q4_K:
            case Q5_K: {
                const double d = halfValue(ld16(b)), dmin = halfValue(ld16(b + 2));
                const uint8_t* sc = b + 4;
                const uint8_t* qh = b + 16;
                const uint8_t* ql = b + (f == Q4_K ? 16 : 48);
                int is = 0;
                uint8_t u1 = 1, u2 = 2;
                for (int j = 0; j < 256; j += 64) {
                    int s1, m1, s2, m2;
                    scaleMinK4(is, sc, s1, m1);
                    scaleMinK4(is + 1, sc, s2, m2);
                    for (int l = 0; l < 32; ++l) {
                        const int h1 = f == Q5_K && (qh[l] & u1) ? 16 : 0;
                        const int h2 = f == Q5_K && (qh[l] & u2) ? 16 : 0;
                        o[j + l] = d * s1 * ((ql[l] & 0xF) + h1) - dmin * m1;
                        o[j + 32 + l] = d * s2 * ((ql[l] >> 4) + h2) - dmin * m2;
                    }
                    ql += 32;
                    is += 2;
                    u1 <<= 2;
                    u2 <<= 2;
                }
                break;
            }
            case Q6_K: {
                const double d = halfValue(ld16(b + 208));
                const uint8_t* ql = b;
                const uint8_t* qh = b + 128;
                const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
                for (int n = 0; n < 256; n += 128) {
                    for (int l = 0; l < 32; ++l) {
                        const int is = l / 16;
                        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                        o[n + l] = d * sc[is] * q1;
                        o[n + l + 32] = d * sc[is + 2] * q2;
                        o[n + l + 64] = d * sc[is + 4] * q3;
                        o[n + l + 96] = d * sc[is + 6] * q4;
                    }
                    ql += 64;
                    qh += 32;
                    sc += 8;
                }
                break;
            }
            default: break;
        }
    }
}

// x as the matrix-vector kernels see it for the block formats (chelsea.cuh quantize_x, bit for bit).
static std::vector<double> quantizeX(const std::vector<float>& x) {
    std::vector<double> r(x.size());
    for (size_t b = 0; b + 32 <= x.size(); b += 32) {
        float amax = 0.f;
        for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(x[b + i]));
        const volatile float id = amax > 0.f ? 127.f / amax : 0.f;
        const volatile float d = amax / 127.f;
        for (int i = 0; i < 32; ++i) {
            const volatile float prod = x[b + i] * id;
            const int q = static_cast<int>(std::nearbyint(prod));
            r[b + i] = static_cast<double>(d) * q;
        }
    }
    return r;
}

static std::vector<float> randomFloats(size_t n, Rng& rng, float scale = 1.f) {
    std::vector<float> v(n);
    for (auto& e : v) e = rng.sym() * scale;
    return v;
}

// body(begin, end) over [0, n) split among the host's cores (the references are the slow part).
static void parallelFor(long n, const std::function<void(long, long)>& body) {
    const long t = std::max(1u, std::min(std::thread::hardware_concurrency(), 32u));
    if (n < 2 * t) {
        body(0, n);
        return;
    }
    std::vector<std::thread> threads;
    const long chunk = (n + t - 1) / t;
    for (long a = 0; a < n; a += chunk) threads.emplace_back(body, a, std::min(n, a + chunk));
    for (auto& th : threads) th.join();
}

// rows random rows of a weight matrix (each row from its own seed, so in parallel).
static std::vector<uint8_t> randomWeights(Fmt f, int rows, int cols, Rng& rng) {
    const size_t rb = rowBytes(f, cols);
    std::vector<uint8_t> w(rb * rows);
    const uint64_t seed = rng.next();
    parallelFor(rows, [&](long a, long b) {
        for (long r = a; r < b; ++r) {
            Rng local(seed + static_cast<uint64_t>(r));
            genRow(f, w.data() + rb * r, cols, local);
        }
    });
    return w;
}

// ---------------------------------------------------------------- context
static std::vector<Module> g_mods;
static int g_sms = 0, g_smemOptin = 0;
static bool g_quick = false;  // no large timing shapes
static bool g_small = false;  // only shapes an emulator runs in seconds (implies g_quick)

static int cdiv(long long a, long long b) { return static_cast<int>((a + b - 1) / b); }

static std::string perfPair(const std::vector<double>& v, const char* unit) {
    if (v.empty()) return "";
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) {
        char b[32];
        std::snprintf(b, sizeof b, "%s%.0f", i ? " / " : "", v[i]);
        s += b;
    }
    return s + " " + unit;
}

// ---------------------------------------------------------------- get_rows
static void checkGetRows(Fmt f, int rows, int cols, Rng& rng) {
    const size_t rb = rowBytes(f, cols);
    const std::vector<uint8_t> w = randomWeights(f, rows, cols, rng);
    std::vector<int> tokens = {rows - 1, 0, rng.below(rows), rng.below(rows), rows - 1, -1, rows};
    const int T = static_cast<int>(tokens.size());
    Buf dw(w.size()), dt(T * 4), dout(static_cast<size_t>(T) * cols * 4);
    dw.up(w);
    dt.up(tokens);
    std::vector<double> ref(static_cast<size_t>(T) * cols, 0.0), row(cols);
    double scale = 1e-30;
    for (int t = 0; t < T; ++t) {
        if (tokens[t] < 0 || tokens[t] >= rows) continue;  // out of range: zeros
        refRow(f, w.data() + rb * tokens[t], cols, row.data());
        for (int k = 0; k < cols; ++k) {
            ref[static_cast<size_t>(t) * cols + k] = row[k];
            scale = std::max(scale, std::fabs(row[k]));
        }
    }
    double absErr = 0;
    const std::string name = std::string("chelsea_get_rows_") + kFmt[f].name;
    for (auto& m : g_mods) {
        dout.poison();
        int Tv = T, rv = rows, cv = cols;
        Launch l{m.fn(name), {static_cast<unsigned>(cdiv(cols, 8 * 128)), static_cast<unsigned>(T), 1}, {128, 1, 1}, 0,
                 {&dw.p, &dt.p, &dout.p, &Tv, &rv, &cv}};
        l.run();
        auto y = dout.down<float>(ref.size());
        for (size_t i = 0; i < y.size(); ++i) {
            const double e = std::fabs(y[i] - ref[i]);
            absErr = std::isnan(y[i]) ? NAN : std::max(absErr, e);
            if (std::isnan(absErr)) break;
        }
    }
    report(name, std::to_string(rows) + "x" + std::to_string(cols) + " T=" + std::to_string(T), absErr,
           absErr / scale, 1e-5);
}

// ---------------------------------------------------------------- matvec
// accumulate: y starts as random values and the kernel adds to them.
static void checkMatvec(Fmt f, int rows, int cols, int n, Rng& rng, bool time, int gridOverride = 0,
                        bool accumulate = false) {
    const size_t rb = rowBytes(f, cols);
    const std::vector<uint8_t> w = randomWeights(f, rows, cols, rng);
    std::vector<float> x = randomFloats(static_cast<size_t>(n) * cols, rng);
    for (size_t i = 0; i < x.size(); i += 32 * 7) x[i] *= 10.f;  // a few outliers per row
    const bool q = blockFormat(f);
    const std::vector<double> xs = q ? quantizeX(x) : std::vector<double>(x.begin(), x.end());
    std::vector<double> ref(static_cast<size_t>(n) * rows), l1(ref.size());
    std::vector<double> rowRel(rows, 0.0);  // error of the quantized-x result against exact x, for information
    const std::vector<float> y0 = accumulate ? randomFloats(ref.size(), rng) : std::vector<float>();
    parallelFor(rows, [&](long r0, long r1) {
      std::vector<double> row(cols);
      for (long r = r0; r < r1; ++r) {
        refRow(f, w.data() + rb * r, cols, row.data());
        for (int b = 0; b < n; ++b) {
            double s = 0, a = 0, st = 0, at = 0;
            for (int k = 0; k < cols; ++k) {
                const double p = row[k] * xs[static_cast<size_t>(b) * cols + k];
                s += p;
                a += std::fabs(p);
                const double pt = row[k] * x[static_cast<size_t>(b) * cols + k];
                st += pt;
                at += std::fabs(pt);
            }
            const size_t i = static_cast<size_t>(b) * rows + r;
            ref[i] = s + (accumulate ? y0[i] : 0.0);
            l1[i] = a + (accumulate ? std::fabs(y0[i]) : 0.0);
            rowRel[r] = std::max(rowRel[r], std::fabs(s - st) / at);
        }
      }
    });
    const double trueRel = *std::max_element(rowRel.begin(), rowRel.end());
    Buf dw(w.size()), dx(x.size() * 4), dy(ref.size() * 4);
    dw.up(w);
    dx.up(x);
    const bool batch = n > 1;
    const std::string name = std::string("chelsea_matvec_") + kFmt[f].name + (batch ? "_batch" : "");
    const unsigned smem = q ? static_cast<unsigned>(n * cols + n * (cols / 32) * 8) : 0u;
    const int grid = gridOverride > 0 ? gridOverride : std::min(cdiv(rows, 8), 8 * g_sms);
    double absErr = 0, relErr = 0;
    std::vector<double> gbs;
    for (auto& m : g_mods) {
        CUfunction fn = m.fn(name);
        if (smem > 48 * 1024) {
            if (static_cast<int>(smem) > g_smemOptin) {
                report(name, "smem " + std::to_string(smem) + " > device limit", NAN, NAN, 0);
                return;
            }
            CK(cu.FuncSetAttribute(fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, static_cast<int>(smem)));
        }
        if (accumulate) {
            dy.up(y0);
        } else {
            dy.poison();
        }
        int rv = rows, cv = cols, nv = n, av = accumulate ? 1 : 0;
        std::vector<void*> args = {&dw.p, &dx.p, &dy.p, &rv, &cv};
        if (batch) args.push_back(&nv);
        args.push_back(&av);
        Launch l{fn, {static_cast<unsigned>(grid), 1, 1}, {256, 1, 1}, smem, args};
        l.run();
        auto y = dy.down<float>(ref.size());
        for (size_t i = 0; i < y.size(); ++i) {
            const double e = std::fabs(y[i] - ref[i]);
            if (std::isnan(y[i])) {
                absErr = relErr = NAN;
                break;
            }
            absErr = std::max(absErr, e);
            relErr = std::max(relErr, e / std::max(l1[i], 1e-30));
        }
        if (time && !accumulate) {
            const int copies = copiesFor(w.size());
            std::vector<std::unique_ptr<Buf>> ws;
            std::vector<Launch> rounds;
            for (int c = 0; c < copies; ++c) {
                ws.push_back(std::make_unique<Buf>(w.size()));
                ws.back()->up(w);
                Launch lc = l;
                lc.args[0] = &ws.back()->p;
                rounds.push_back(lc);
            }
            const double ms = timeMs(rounds, 20) / copies;
            gbs.push_back((w.size() + x.size() * 4.0 + ref.size() * 4.0) / (ms * 1e6));
        }
    }
    std::string shape = std::to_string(rows) + "x" + std::to_string(cols) + " n=" + std::to_string(n);
    if (gridOverride) shape += " grid=" + std::to_string(gridOverride);
    if (accumulate) shape += " y+=";
    std::string perf = perfPair(gbs, "GB/s");
    if (q) {
        char note[64];
        std::snprintf(note, sizeof note, "(8-bit x vs exact x: %.1e)", trueRel);
        perf += (perf.empty() ? "" : "  ") + std::string(note);
    }
    report(name, shape, absErr, relErr, 1e-4, perf);
}

// ---------------------------------------------------------------- gemm
static void checkGemm(Fmt f, int rows, int cols, int T, Rng& rng, bool time, int rowStep = 1, bool accumulate = false) {
    const size_t rb = rowBytes(f, cols);
    const std::vector<uint8_t> w = randomWeights(f, rows, cols, rng);
    std::vector<float> x = randomFloats(static_cast<size_t>(T) * cols, rng);
    const std::vector<float> y0 = accumulate ? randomFloats(static_cast<size_t>(T) * rows, rng) : std::vector<float>();
    Buf dw(w.size()), dx(x.size() * 4), dy(static_cast<size_t>(T) * rows * 4);
    dw.up(w);
    dx.up(x);
    const std::string name = std::string("chelsea_gemm_") + kFmt[f].name;
    double absErr = 0, relErr = 0;
    std::vector<double> tf;
    std::vector<float> y;
    for (auto& m : g_mods) {
        if (accumulate) {
            dy.up(y0);
        } else {
            dy.poison();
        }
        int rv = rows, cv = cols, tv = T, av = accumulate ? 1 : 0;
        Launch l{m.fn(name), {static_cast<unsigned>(cdiv(T, 64)), static_cast<unsigned>(cdiv(rows, 64)), 1},
                 {128, 1, 1}, 0, {&dw.p, &dx.p, &dy.p, &rv, &cv, &tv, &av}};
        l.run();
        y = dy.down<float>(static_cast<size_t>(T) * rows);
        for (float v : y)
            if (std::isnan(v)) absErr = relErr = NAN;
        std::vector<int> checked;
        for (int r = 0; r < rows; r += rowStep) checked.push_back(r);
        if (checked.back() != rows - 1) checked.push_back(rows - 1);
        std::vector<double> rowAbs(checked.size(), 0.0), rowRel(checked.size(), 0.0);
        if (!std::isnan(relErr)) parallelFor(static_cast<long>(checked.size()), [&](long i0, long i1) {
          std::vector<double> row(cols);
          for (long i = i0; i < i1; ++i) {
            const int r = checked[i];
            refRow(f, w.data() + rb * r, cols, row.data());
            for (int t = 0; t < T; ++t) {
                double s = 0, a = 0;
                for (int k = 0; k < cols; ++k) {
                    const double p = row[k] * x[static_cast<size_t>(t) * cols + k];
                    s += p;
                    a += std::fabs(p);
                }
                if (accumulate) {
                    s += y0[static_cast<size_t>(t) * rows + r];
                    a += std::fabs(y0[static_cast<size_t>(t) * rows + r]);
                }
                const double e = std::fabs(y[static_cast<size_t>(t) * rows + r] - s);
                rowAbs[i] = std::max(rowAbs[i], e);
                rowRel[i] = std::max(rowRel[i], e / std::max(a, 1e-30));
            }
          }
        });
        for (size_t i = 0; i < checked.size() && !std::isnan(relErr); ++i) {
            absErr = std::max(absErr, rowAbs[i]);
            relErr = std::max(relErr, rowRel[i]);
        }
        if (time && !accumulate) {
            const double ms = timeMs({l}, 10);
            tf.push_back(2.0 * rows * cols * T / (ms * 1e9));
        }
    }
    std::string shape = std::to_string(rows) + "x" + std::to_string(cols) + " T=" + std::to_string(T);
    if (rowStep > 1) shape += " (rows/" + std::to_string(rowStep) + ")";
    if (accumulate) shape += " Y+=";
    report(name, shape, absErr, relErr, 2e-3, perfPair(tf, "GFLOP/s"));
}

// ---------------------------------------------------------------- element-wise
static void checkRmsnorm(int rows, int dim, bool inPlace, Rng& rng) {
    std::vector<float> x = randomFloats(static_cast<size_t>(rows) * dim, rng, 3.f), w = randomFloats(dim, rng);
    const float eps = 1e-5f;
    std::vector<double> ref(x.size());
    double scale = 1e-30;
    for (int r = 0; r < rows; ++r) {
        double ss = 0;
        for (int i = 0; i < dim; ++i) ss += static_cast<double>(x[static_cast<size_t>(r) * dim + i]) * x[static_cast<size_t>(r) * dim + i];
        const double inv = 1.0 / std::sqrt(ss / dim + eps);
        for (int i = 0; i < dim; ++i) {
            const size_t j = static_cast<size_t>(r) * dim + i;
            ref[j] = x[j] * inv * w[i];
            scale = std::max(scale, std::fabs(ref[j]));
        }
    }
    Buf dx(x.size() * 4), dw(w.size() * 4), dy(x.size() * 4);
    dw.up(w);
    double absErr = 0;
    for (auto& m : g_mods) {
        dx.up(x);
        dy.poison();
        CUdeviceptr out = inPlace ? dx.p : dy.p;
        int rv = rows, dv = dim;
        float ev = eps;
        Launch{m.fn("chelsea_rmsnorm"), {static_cast<unsigned>(rows), 1, 1}, {256, 1, 1}, 0, {&dx.p, &dw.p, &out, &rv, &dv, &ev}}
            .run();
        auto y = (inPlace ? dx : dy).down<float>(x.size());
        for (size_t i = 0; i < y.size(); ++i)
            absErr = std::isnan(y[i]) || std::isnan(absErr) ? NAN : std::max(absErr, std::fabs(y[i] - ref[i]));
    }
    report("chelsea_rmsnorm", std::to_string(rows) + "x" + std::to_string(dim) + (inPlace ? " in place" : ""), absErr,
           absErr / scale, 1e-5);
}

static void checkRope(int T, int heads, int kvHeads, int hd, int ropeDim, bool neox, Rng& rng) {
    const int half = ropeDim / 2;
    std::vector<double> invFreq(half);
    for (int i = 0; i < half; ++i) {
        const double factor = 1.0 + 7.0 * rng.uni();  // Llama 3.1-style per-frequency factors
        invFreq[i] = std::pow(500000.0, -2.0 * i / ropeDim) / factor;
    }
    std::vector<int> pos(T);
    for (int t = 0; t < T; ++t) pos[t] = t == 0 ? 131071 : rng.below(131072);
    std::vector<float> q = randomFloats(static_cast<size_t>(T) * heads * hd, rng, 2.f);
    std::vector<float> k = randomFloats(static_cast<size_t>(T) * kvHeads * hd, rng, 2.f);
    auto rotate = [&](const std::vector<float>& in, int nh) {
        std::vector<double> out(in.begin(), in.end());
        for (int t = 0; t < T; ++t)
            for (int h = 0; h < nh; ++h)
                for (int i = 0; i < half; ++i) {
                    const size_t o = (static_cast<size_t>(t) * nh + h) * hd;
                    const int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
                    const double a = pos[t] * invFreq[i], c = std::cos(a), s = std::sin(a);
                    out[o + i0] = in[o + i0] * c - in[o + i1] * s;
                    out[o + i1] = in[o + i0] * s + in[o + i1] * c;
                }
        return out;
    };
    const std::vector<double> rq = rotate(q, heads), rk = rotate(k, kvHeads);
    Buf dq(q.size() * 4), dk(k.size() * 4), dp(T * 4), df(half * 8);
    dp.up(pos);
    df.up(invFreq);
    double absErr = 0;
    for (auto& m : g_mods) {
        dq.up(q);
        dk.up(k);
        int tv = T, hv = heads, kv = kvHeads, dv = hd, rv = ropeDim, nv = neox ? 1 : 0;
        const long long total = static_cast<long long>(T) * (heads + kvHeads) * half;
        Launch{m.fn("chelsea_rope"), {static_cast<unsigned>(cdiv(total, 256)), 1, 1}, {256, 1, 1}, 0,
               {&dq.p, &dk.p, &dp.p, &df.p, &tv, &hv, &kv, &dv, &rv, &nv}}
            .run();
        auto yq = dq.down<float>(q.size()), yk = dk.down<float>(k.size());
        for (size_t i = 0; i < yq.size(); ++i) absErr = std::isnan(yq[i]) ? NAN : std::max(absErr, std::fabs(yq[i] - rq[i]));
        for (size_t i = 0; i < yk.size(); ++i) absErr = std::isnan(yk[i]) ? NAN : std::max(absErr, std::fabs(yk[i] - rk[i]));
    }
    char shape[96];
    std::snprintf(shape, sizeof shape, "T=%d h=%d/%d hd=%d rot=%d %s", T, heads, kvHeads, hd, ropeDim,
                  neox ? "neox" : "pairs");
    report("chelsea_rope", shape, absErr, absErr / 2.0, 2e-6);  // scale: |x| <= 2
}

static void checkElementwise(Rng& rng) {
    // add_bias
    {
        const int T = 7, dim = 1000;
        std::vector<float> x = randomFloats(static_cast<size_t>(T) * dim, rng), b = randomFloats(dim, rng);
        Buf dx(x.size() * 4), db(b.size() * 4);
        db.up(b);
        double err = 0;
        for (auto& m : g_mods) {
            dx.up(x);
            int tv = T, dv = dim;
            Launch{m.fn("chelsea_add_bias"), {static_cast<unsigned>(cdiv(T * dim, 256)), 1, 1}, {256, 1, 1}, 0,
                   {&dx.p, &db.p, &tv, &dv}}
                .run();
            auto y = dx.down<float>(x.size());
            for (size_t i = 0; i < y.size(); ++i) {
                const float r = x[i] + b[i % dim];
                err = std::isnan(y[i]) ? NAN : std::max(err, static_cast<double>(std::fabs(y[i] - r)));
            }
        }
        report("chelsea_add_bias", "7x1000", err, err, 0);
    }
    // add
    {
        const int n = 3 * 2048 + 5;
        std::vector<float> y0 = randomFloats(n, rng), x = randomFloats(n, rng);
        Buf dy(n * 4), dx(n * 4);
        dx.up(x);
        double err = 0;
        for (auto& m : g_mods) {
            dy.up(y0);
            int nv = n;
            Launch{m.fn("chelsea_add"), {static_cast<unsigned>(cdiv(n, 256)), 1, 1}, {256, 1, 1}, 0, {&dy.p, &dx.p, &nv}}.run();
            auto y = dy.down<float>(n);
            for (int i = 0; i < n; ++i) {
                const float r = y0[i] + x[i];
                err = std::isnan(y[i]) ? NAN : std::max(err, static_cast<double>(std::fabs(y[i] - r)));
            }
        }
        report("chelsea_add", "6149", err, err, 0);
    }
    // silu_mul: separate buffers (in place), and [T][gate | up] into a compact output
    for (int fused = 0; fused < 2; ++fused) {
        const int T = 5, ffn = 777, stride = fused ? 2 * ffn : ffn;
        std::vector<float> g = randomFloats(static_cast<size_t>(T) * stride, rng, 8.f);
        std::vector<float> u = randomFloats(static_cast<size_t>(T) * stride, rng, 2.f);
        std::vector<double> ref(static_cast<size_t>(T) * ffn);
        for (int t = 0; t < T; ++t)
            for (int i = 0; i < ffn; ++i) {
                const size_t in = static_cast<size_t>(t) * stride + i;
                const double gv = g[in], uv = fused ? g[in + ffn] : u[in];
                ref[static_cast<size_t>(t) * ffn + i] = gv / (1.0 + std::exp(-gv)) * uv;
            }
        Buf dg(g.size() * 4), du(u.size() * 4), dout(ref.size() * 4);
        du.up(u);
        double rel = 0, absErr = 0;
        for (auto& m : g_mods) {
            dg.up(g);
            dout.poison();
            CUdeviceptr out = fused ? dout.p : dg.p;
            CUdeviceptr up = fused ? dg.p + static_cast<size_t>(ffn) * 4 : du.p;
            int tv = T, fv = ffn, sv = stride;
            Launch{m.fn("chelsea_silu_mul"), {static_cast<unsigned>(cdiv(T * ffn, 256)), 1, 1}, {256, 1, 1}, 0,
                   {&out, &dg.p, &up, &tv, &fv, &sv}}
                .run();
            auto y = (fused ? dout : dg).down<float>(ref.size());
            for (size_t i = 0; i < ref.size(); ++i) {
                const double e = std::fabs(y[i] - ref[i]);
                absErr = std::isnan(y[i]) ? NAN : std::max(absErr, e);
                rel = std::isnan(y[i]) ? NAN : std::max(rel, e / (std::fabs(ref[i]) + 1e-30));
            }
        }
        report("chelsea_silu_mul", fused ? "5x777 [gate|up] stride 1554" : "5x777 in place", absErr, rel, 2e-6);
    }
}

static void checkArgmax(Rng& rng) {
    struct Case {
        const char* label;
        int n;
        int kind;  // 0 random with a tie, 1 all equal, 2 -inf and NaN, 3 all NaN
    };
    const Case cases[] = {{"n=128256 tie", 128256, 0}, {"n=262144 tie", 262144, 0}, {"n=1", 1, 0},
                          {"n=1000 all equal", 1000, 1}, {"n=5000 -inf/NaN", 5000, 2}, {"n=33 all NaN", 33, 3}};
    for (const Case& c : cases) {
        std::vector<float> x = randomFloats(c.n, rng, 10.f);
        int expect = 0;
        if (c.kind == 0) {
            if (c.n > 2) {
                const int a = 1 + rng.below(c.n - 1), b = rng.below(a);  // b < a
                x[a] = x[b] = 50.f;
                expect = b;
            }
        } else if (c.kind == 1) {
            std::fill(x.begin(), x.end(), 1.5f);
            expect = 0;
        } else if (c.kind == 2) {
            for (int i = 0; i < c.n; ++i) x[i] = i % 3 == 0 ? NAN : -INFINITY;
            x[c.n - 7] = -1e30f;
            expect = c.n - 7;
        } else {
            std::fill(x.begin(), x.end(), NAN);
            expect = -1;
        }
        Buf dx(x.size() * 4), dout(4);
        dx.up(x);
        double err = 0;
        for (auto& m : g_mods) {
            dout.poison();
            int nv = c.n;
            Launch{m.fn("chelsea_argmax"), {1, 1, 1}, {1024, 1, 1}, 0, {&dx.p, &nv, &dout.p}}.run();
            const int got = dout.down<int>(1)[0];
            if (got != expect) err = std::max(err, 1.0);
        }
        report("chelsea_argmax", c.label, err, err, 0);
    }
}

// ---------------------------------------------------------------- KV cache and attention
static std::string attnName(const char* kind, int hd, int G) {
    const int cls = hd <= 32 ? 32 : hd <= 64 ? 64 : hd <= 128 ? 128 : 256;
    int g = 1;
    while (g < G && g < 8) g <<= 1;
    g = std::min(g, 1024 / cls);
    return std::string("chelsea_attn_") + kind + "_hd" + std::to_string(cls) + "_g" + std::to_string(g);
}

static void checkKvAppend(int T, int kvHeads, int hd, int capacity, int base, bool withLog, Rng& rng) {
    std::vector<float> k = randomFloats(static_cast<size_t>(T) * kvHeads * hd, rng, 3.f);
    std::vector<float> v = randomFloats(k.size(), rng, 3.f);
    std::vector<int> pos(T);
    for (int t = 0; t < T; ++t) pos[t] = 1000 + 3 * t;
    const size_t cells = static_cast<size_t>(kvHeads) * capacity;
    Buf dk(k.size() * 4), dv(v.size() * 4), dkc(cells * hd * 2), dvc(cells * hd * 2), dpos(cells * 4), dls(cells * 4),
        dp(T * 4), db(4);
    dk.up(k);
    dv.up(v);
    dp.up(pos);
    db.up(std::vector<int>{base});
    double err = 0;
    for (auto& m : g_mods) {
        dkc.poison();
        dvc.poison();
        dpos.poison();
        dls.poison();
        CUdeviceptr ls = withLog ? dls.p : 0;
        int tv = T, hv = kvHeads, dv_ = hd, cv = capacity;
        Launch{m.fn("chelsea_kv_append"), {static_cast<unsigned>(T), static_cast<unsigned>(kvHeads), 1}, {128, 1, 1}, 0,
               {&dk.p, &dv.p, &dkc.p, &dvc.p, &dpos.p, &ls, &dp.p, &db.p, &tv, &hv, &dv_, &cv}}
            .run();
        auto kc = dkc.down<uint16_t>(cells * hd), vc = dvc.down<uint16_t>(cells * hd);
        auto sp = dpos.down<int>(cells);
        auto lsz = dls.down<uint32_t>(cells);
        for (int h = 0; h < kvHeads; ++h)
            for (int s = 0; s < capacity; ++s) {
                const size_t cell = static_cast<size_t>(h) * capacity + s;
                const int t = s - base;
                const bool written = t >= 0 && t < T;
                if (sp[cell] != (written ? pos[t] : -1)) err = 1;
                if (lsz[cell] != (written && withLog ? 0u : 0xFFFFFFFFu)) err = 1;
                for (int d = 0; d < hd; ++d) {
                    const uint16_t ek = written ? halfBits(k[(static_cast<size_t>(t) * kvHeads + h) * hd + d]) : 0xFFFF;
                    const uint16_t ev = written ? halfBits(v[(static_cast<size_t>(t) * kvHeads + h) * hd + d]) : 0xFFFF;
                    if (kc[cell * hd + d] != ek || vc[cell * hd + d] != ev) err = 1;
                }
            }
    }
    char shape[96];
    std::snprintf(shape, sizeof shape, "T=%d kv=%d hd=%d cap=%d base=%d%s", T, kvHeads, hd, capacity, base,
                  withLog ? " log" : "");
    report("chelsea_kv_append", shape, err, err, 0);
}

struct Cache {
    int kvHeads, hd, capacity, filled;
    std::vector<uint16_t> k, v;  // half bits, as uploaded
    std::vector<float> kf, vf;   // the same values as floats, for the reference
    std::vector<float> logSize;  // empty: no bias
};

// Slots [0, filled) random, the rest NaN: a kernel reading past its range yields NaN.
static Cache makeCache(int kvHeads, int hd, int capacity, int filled, bool withLog, Rng& rng) {
    Cache c{kvHeads, hd, capacity, filled, {}, {}, {}, {}, {}};
    const size_t cells = static_cast<size_t>(kvHeads) * capacity;
    c.k.assign(cells * hd, 0x7E00);
    c.v.assign(cells * hd, 0x7E00);
    c.kf.assign(cells * hd, NAN);
    c.vf.assign(cells * hd, NAN);
    if (withLog) c.logSize.assign(cells, NAN);
    const uint64_t seed = rng.next();
    parallelFor(static_cast<long>(kvHeads) * filled, [&](long i0, long i1) {
      for (long i = i0; i < i1; ++i) {
            const int h = static_cast<int>(i / filled), s = static_cast<int>(i % filled);
            Rng local(seed + static_cast<uint64_t>(i));
            const size_t cell = static_cast<size_t>(h) * capacity + s;
            for (int d = 0; d < hd; ++d) {
                c.k[cell * hd + d] = halfBits(local.sym());
                c.v[cell * hd + d] = halfBits(local.sym() * 2.f);
                c.kf[cell * hd + d] = static_cast<float>(halfValue(c.k[cell * hd + d]));
                c.vf[cell * hd + d] = static_cast<float>(halfValue(c.v[cell * hd + d]));
            }
            if (withLog) c.logSize[cell] = static_cast<float>(3.0 * local.uni());
      }
    });
    return c;
}

// out[h][d] for one query (q: [heads][hd]) over slots [0, n).
static void refAttendHeads(const Cache& c, const float* q, int heads, int n, float scale, double* out, int h0, int h1) {
    const int G = heads / c.kvHeads;
    std::vector<double> sc(n);
    for (int h = h0; h < h1; ++h) {
        const int kv = h / G;
        double mx = -1e300;
        for (int s = 0; s < n; ++s) {
            const size_t cell = static_cast<size_t>(kv) * c.capacity + s;
            double d = 0;
            for (int i = 0; i < c.hd; ++i) d += static_cast<double>(q[h * c.hd + i]) * c.kf[cell * c.hd + i];
            sc[s] = d * scale + (c.logSize.empty() ? 0.0 : c.logSize[cell]);
            mx = std::max(mx, sc[s]);
        }
        double sum = 0;
        for (int s = 0; s < n; ++s) sum += sc[s] = std::exp(sc[s] - mx);
        std::vector<double> o(c.hd, 0.0);
        for (int s = 0; s < n; ++s) {
            const float* vr = c.vf.data() + (static_cast<size_t>(kv) * c.capacity + s) * c.hd;
            for (int i = 0; i < c.hd; ++i) o[i] += sc[s] * vr[i];
        }
        for (int i = 0; i < c.hd; ++i) out[h * c.hd + i] = o[i] / sum;
    }
}

static void refAttend(const Cache& c, const float* q, int heads, int n, float scale, double* out) {
    refAttendHeads(c, q, heads, n, scale, out, 0, heads);
}

static void checkDecode(int heads, int kvHeads, int hd, int nSlots, int capacity, int splits, bool withLog, Rng& rng,
                        bool time) {
    Cache c = makeCache(kvHeads, hd, capacity, nSlots, withLog, rng);
    std::vector<float> q = randomFloats(static_cast<size_t>(heads) * hd, rng, 6.f);
    const float scale = 1.f / std::sqrt(static_cast<float>(hd));
    std::vector<double> ref(q.size());
    parallelFor(heads, [&](long h0, long h1) {
        refAttendHeads(c, q.data(), heads, nSlots, scale, ref.data(), static_cast<int>(h0), static_cast<int>(h1));
    });
    Buf dq(q.size() * 4), dk(c.k.size() * 2), dv(c.v.size() * 2), dls(std::max<size_t>(c.logSize.size(), 1) * 4), db(4),
        dpart(static_cast<size_t>(splits) * heads * (hd + 2) * 4), dout(q.size() * 4);
    dq.up(q);
    dk.up(c.k);
    dv.up(c.v);
    if (withLog) dls.up(c.logSize);
    db.up(std::vector<int>{nSlots - 1});
    const std::string name = attnName("decode", hd, heads / kvHeads);
    double absErr = 0;
    std::vector<double> gbs;
    for (auto& m : g_mods) {
        dpart.poison();
        dout.poison();
        CUdeviceptr ls = withLog ? dls.p : 0;
        int hv = heads, kv = kvHeads, dv_ = hd, cv = capacity, sv = splits;
        float scv = scale;
        Launch dec{m.fn(name), {static_cast<unsigned>(kvHeads), static_cast<unsigned>(splits), 1}, {128, 1, 1}, 0,
                   {&dq.p, &dk.p, &dv.p, &ls, &db.p, &dpart.p, &hv, &kv, &dv_, &cv, &sv, &scv}};
        Launch comb{m.fn("chelsea_attn_combine"), {static_cast<unsigned>(heads), 1, 1}, {128, 1, 1}, 0,
                    {&dpart.p, &dout.p, &hv, &dv_, &sv}};
        dec.run();
        comb.run();
        auto y = dout.down<float>(q.size());
        for (size_t i = 0; i < y.size(); ++i) absErr = std::isnan(y[i]) ? NAN : std::max(absErr, std::fabs(y[i] - ref[i]));
        if (time) {
            const int copies = copiesFor(c.k.size() * 4);
            std::vector<std::unique_ptr<Buf>> ks, vs;
            std::vector<Launch> rounds;
            for (int i = 0; i < copies; ++i) {
                ks.push_back(std::make_unique<Buf>(c.k.size() * 2));
                vs.push_back(std::make_unique<Buf>(c.v.size() * 2));
                ks.back()->up(c.k);
                vs.back()->up(c.v);
                Launch d = dec;
                d.args[1] = &ks.back()->p;
                d.args[2] = &vs.back()->p;
                rounds.push_back(d);
                rounds.push_back(comb);
            }
            const double ms = timeMs(rounds, 20) / copies;
            const double bytes = static_cast<double>(kvHeads) * nSlots * (hd * 4.0 + (withLog ? 4.0 : 0.0));
            gbs.push_back(bytes / (ms * 1e6));
        }
    }
    char shape[96];
    std::snprintf(shape, sizeof shape, "h=%d/%d hd=%d slots=%d/%d s=%d%s", heads, kvHeads, hd, nSlots, capacity, splits,
                  withLog ? " log" : "");
    report(name + "+combine", shape, absErr, absErr / 2.0, 1e-4, perfPair(gbs, "GB/s"));  // scale: |v| <= 2
}

static void checkPrefill(int heads, int kvHeads, int hd, int T, int base, int capacity, bool withLog, Rng& rng,
                         bool time) {
    Cache c = makeCache(kvHeads, hd, capacity, base + T, withLog, rng);
    std::vector<float> q = randomFloats(static_cast<size_t>(T) * heads * hd, rng, 6.f);
    const float scale = 1.f / std::sqrt(static_cast<float>(hd));
    std::vector<double> ref(q.size());
    parallelFor(T, [&](long t0, long t1) {
        for (long t = t0; t < t1; ++t)
            refAttend(c, q.data() + static_cast<size_t>(t) * heads * hd, heads, base + static_cast<int>(t) + 1, scale,
                      ref.data() + static_cast<size_t>(t) * heads * hd);
    });
    Buf dq(q.size() * 4), dk(c.k.size() * 2), dv(c.v.size() * 2), dls(std::max<size_t>(c.logSize.size(), 1) * 4), db(4),
        dout(q.size() * 4);
    dq.up(q);
    dk.up(c.k);
    dv.up(c.v);
    if (withLog) dls.up(c.logSize);
    db.up(std::vector<int>{base});
    const std::string name = attnName("prefill", hd, heads / kvHeads);
    double absErr = 0;
    std::vector<double> gf;
    for (auto& m : g_mods) {
        dout.poison();
        CUdeviceptr ls = withLog ? dls.p : 0;
        int tv = T, hv = heads, kv = kvHeads, dv_ = hd, cv = capacity;
        float scv = scale;
        Launch l{m.fn(name), {static_cast<unsigned>(cdiv(T, 4)), static_cast<unsigned>(kvHeads), 1}, {128, 1, 1}, 0,
                 {&dq.p, &dk.p, &dv.p, &ls, &db.p, &dout.p, &tv, &hv, &kv, &dv_, &cv, &scv}};
        l.run();
        auto y = dout.down<float>(q.size());
        for (size_t i = 0; i < y.size(); ++i) absErr = std::isnan(y[i]) ? NAN : std::max(absErr, std::fabs(y[i] - ref[i]));
        if (time) {
            const double ms = timeMs({l}, 10);
            const double flop = 4.0 * heads * hd * (static_cast<double>(T) * base + 0.5 * T * (T + 1));
            gf.push_back(flop / (ms * 1e6));
        }
    }
    char shape[96];
    std::snprintf(shape, sizeof shape, "h=%d/%d hd=%d T=%d base=%d%s", heads, kvHeads, hd, T, base, withLog ? " log" : "");
    report(name, shape, absErr, absErr / 2.0, 1e-4, perfPair(gf, "GFLOP/s"));
}

// ---------------------------------------------------------------- main
static std::vector<char> readFile(const std::string& path, bool nulTerminate) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        std::fprintf(stderr, "kernel_check: cannot read %s\n", path.c_str());
        std::exit(1);
    }
    std::vector<char> d;
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) d.insert(d.end(), buf, buf + n);
    std::fclose(f);
    if (nulTerminate) d.push_back('\0');
    return d;
}

static Module loadModule(const std::string& label, const std::string& path, bool text) {
    std::vector<char> data = readFile(path, text);
    Module m;
    m.label = label;
    const auto t0 = std::chrono::steady_clock::now();
    CUresult r = cu.ModuleLoadData(&m.mod, data.data());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r != CUDA_SUCCESS) {
        std::fprintf(stderr, "kernel_check: cuModuleLoadData(%s) failed: %s\n", path.c_str(), errText(r).c_str());
        static char log[16384];
        CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
        void* vals[] = {log, reinterpret_cast<void*>(static_cast<uintptr_t>(sizeof log))};
        CUmodule tmp;
        if (cu.ModuleLoadDataEx(&tmp, data.data(), 2, opts, vals) != CUDA_SUCCESS) std::fprintf(stderr, "JIT log:\n%s\n", log);
        std::exit(1);
    }
    std::printf("loaded %-5s %s (%zu bytes) in %.2f s\n", label.c_str(), path.c_str(), data.size() - (text ? 1 : 0), s);
    if (text) {
        const char* nl = std::strchr(data.data(), '\n');
        std::printf("      %.*s\n", nl ? static_cast<int>(nl - data.data()) : 0, data.data());
    }
    return m;
}

static std::string defaultResourceDir(const char* argv0) {
    char exe[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    std::string p = n > 0 ? std::string(exe, n) : std::string(argv0);
    const size_t slash = p.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : p.substr(0, slash);  // cuda/target
    return dir + "/../src/main/resources/dev/chelsea/cuda";
}

int main(int argc, char** argv) {
    std::string dir;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            g_quick = true;
        } else if (std::strcmp(argv[i], "--small") == 0) {
            g_quick = g_small = true;
        } else if (argv[i][0] == '-') {
            std::fprintf(stderr, "usage: kernel_check [--quick | --small] [RESOURCE_DIR]\n");
            return 2;
        } else {
            dir = argv[i];
        }
    }
    if (dir.empty()) dir = defaultResourceDir(argv[0]);

    std::string why;
    if (!loadDriver(why)) {
        std::printf("kernel_check: no CUDA device: %s\n", why.c_str());
        return 2;
    }
    CUresult r = cu.Init(0);
    if (r != CUDA_SUCCESS) {
        std::printf("kernel_check: no CUDA device: cuInit failed: %s\n", errText(r).c_str());
        return 2;
    }
    int count = 0;
    if (cu.DeviceGetCount(&count) != CUDA_SUCCESS || count == 0) {
        std::printf("kernel_check: no CUDA device: the driver reports none\n");
        return 2;
    }
    CUdevice dev;
    CK(cu.DeviceGet(&dev, 0));
    char devName[256] = {0};
    CK(cu.DeviceGetName(devName, sizeof devName, dev));
    int major = 0, minor = 0, drv = 0;
    CK(cu.DeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
    CK(cu.DeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
    CK(cu.DeviceGetAttribute(&g_sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev));
    CK(cu.DeviceGetAttribute(&g_smemOptin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, dev));
    CK(cu.DriverGetVersion(&drv));
    std::printf("device 0: %s, compute %d.%d, %d SMs, driver API %d.%d\n", devName, major, minor, g_sms, drv / 1000,
                (drv % 1000) / 10);
    CUcontext ctx;
    CK(cu.DevicePrimaryCtxRetain(&ctx, dev));
    CK(cu.CtxSetCurrent(ctx));

    const auto start = std::chrono::steady_clock::now();
    g_mods.push_back(loadModule("ptx", dir + "/chelsea-kernels.ptx", true));
    if (major == 9 && minor == 0) {
        g_mods.push_back(loadModule("cubin", dir + "/chelsea-kernels.sm_90.cubin", false));
    } else {
        std::printf("(not an sm_90 device: the cubin is not checked)\n");
    }
    std::printf("\n");
    printHeader();

    Rng rng(20261120);
    const Fmt all[] = {F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q5_K, Q6_K};
    const Fmt fast[] = {Q8_0, Q4_0, Q4_K, Q6_K};

    for (Fmt f : all) {
        checkGetRows(f, 512, 256, rng);
        checkGetRows(f, 1000, 2048, rng);
    }
    checkGetRows(F32, 300, 172, rng);
    checkGetRows(F16, 300, 63, rng);

    // Shapes of the models in ../shared/models/synthetic (dim 256, ffn 768 or 512, vocab 512, Qwen3's
    // 512-wide Q), of stories260K (dim 64, ffn 172, head 8) and of Llama-3.2-1B (2048, 8192, 128256).
    for (Fmt f : all) {
        checkMatvec(f, 512, 256, 1, rng, false);
        checkMatvec(f, 256, 768, 1, rng, false);
        checkMatvec(f, 768, 256, 3, rng, false);
        checkMatvec(f, 333, 2048, 8, rng, false);
        checkMatvec(f, 1024, 2048, 1, rng, false, 3);  // a grid smaller than the rows: grid-stride
        checkMatvec(f, 256, 8192, 8, rng, false);      // 80 KB of shared memory for the block formats
        if (!g_small) checkMatvec(f, 8192, 2048, 1, rng, !g_quick);
    }
    checkMatvec(F32, 172, 64, 1, rng, false);
    checkMatvec(F32, 64, 172, 2, rng, false);
    checkMatvec(F16, 77, 63, 5, rng, false);
    checkMatvec(BF16, 100, 1000, 1, rng, false);
    checkMatvec(Q8_0, 256, 512, 1, rng, false, 0, true);
    checkMatvec(Q4_0, 512, 2048, 1, rng, true);  // timed even with --small: the latency of a small product
    checkMatvec(Q4_K, 256, 512, 3, rng, false, 0, true);
    checkMatvec(F32, 100, 172, 1, rng, false, 0, true);
    if (!g_quick) {
        for (Fmt f : fast) {
            checkMatvec(f, 2048, 8192, 1, rng, true);
            checkMatvec(f, 128256, 2048, 1, rng, true);
        }
    }

    for (Fmt f : all) {
        checkGemm(f, 256, 256, 1, rng, false);
        checkGemm(f, 256, 768, 48, rng, false);
        checkGemm(f, 768, 256, 37, rng, false);
        checkGemm(f, 333, 512, 100, rng, false);
        if (!g_small) checkGemm(f, 2048, 2048, 512, rng, !g_quick, 16);
    }
    checkGemm(F32, 172, 64, 77, rng, false);
    checkGemm(F32, 64, 172, 5, rng, false);
    checkGemm(F16, 100, 63, 130, rng, false);
    checkGemm(Q6_K, 300, 512, 70, rng, false, 1, true);
    if (!g_quick) checkGemm(Q4_K, 8192, 2048, 512, rng, true, 64);

    checkRmsnorm(1, 2048, false, rng);
    checkRmsnorm(5, 256, true, rng);
    checkRmsnorm(7 * 16, 128, true, rng);
    checkRmsnorm(3, 172, false, rng);
    checkRmsnorm(4, 64, true, rng);
    checkRmsnorm(2, 8192, false, rng);
    for (int neox = 0; neox < 2; ++neox) {
        checkRope(5, 8, 2, 32, 32, neox, rng);
        checkRope(3, 32, 8, 64, 64, neox, rng);
        checkRope(2, 16, 2, 128, 128, neox, rng);
        checkRope(4, 16, 2, 128, 64, neox, rng);
        checkRope(6, 8, 4, 8, 8, neox, rng);
    }
    checkElementwise(rng);
    checkArgmax(rng);

    checkKvAppend(1, 8, 64, 1024, 100, true, rng);
    checkKvAppend(37, 2, 128, 64, 0, false, rng);
    checkKvAppend(5, 4, 8, 16, 13, true, rng);  // slots 16 and 17 are past capacity: skipped

    // heads, kvHeads, headDim, slots, capacity, splits, logSize
    checkDecode(8, 2, 32, 100, 256, 4, false, rng, true);
    checkDecode(8, 2, 32, 1, 256, 4, true, rng, false);
    checkDecode(4, 1, 64, 333, 512, 2, true, rng, false);    // llama31-tied: one KV head
    checkDecode(4, 2, 128, 200, 256, 2, false, rng, false);  // qwen3 synthetic
    checkDecode(8, 4, 8, 300, 512, 8, true, rng, false);
    checkDecode(8, 8, 128, 777, 1024, 8, false, rng, false);
    checkDecode(12, 2, 64, 999, 1024, 8, true, rng, false);
    checkDecode(14, 2, 64, 3000, 4096, 16, true, rng, false);
    checkDecode(16, 1, 128, 777, 1024, 8, false, rng, false);
    checkDecode(16, 2, 128, 5000, 8192, 32, true, rng, false);
    checkDecode(8, 2, 256, 500, 512, 4, true, rng, false);
    checkDecode(4, 4, 96, 200, 256, 4, false, rng, false);
    checkDecode(8, 8, 80, 64, 64, 1, true, rng, false);
    if (!g_small) {
        checkDecode(32, 8, 64, 16384, 16384, 64, true, rng, true);
        checkDecode(28, 4, 128, 8192, 8192, 32, true, rng, true);
    }
    if (!g_quick) checkDecode(32, 8, 64, 131072, 131072, 256, false, rng, true);

    // heads, kvHeads, headDim, T, slotBase, capacity, logSize
    checkPrefill(8, 2, 32, 48, 0, 256, false, rng, false);
    checkPrefill(8, 2, 32, 1, 0, 64, false, rng, false);
    checkPrefill(4, 1, 64, 48, 0, 64, true, rng, false);
    checkPrefill(4, 2, 128, 48, 10, 64, false, rng, false);
    checkPrefill(8, 2, 32, 37, 100, 256, true, rng, false);
    checkPrefill(8, 4, 8, 70, 5, 128, false, rng, false);
    checkPrefill(12, 2, 64, 33, 7, 128, true, rng, false);
    checkPrefill(16, 1, 128, 20, 40, 128, false, rng, false);
    checkPrefill(8, 2, 256, 40, 10, 128, true, rng, false);
    checkPrefill(4, 4, 96, 50, 3, 64, false, rng, false);
    checkPrefill(16, 2, 128, 20, 600, 1024, true, rng, false);
    if (!g_small) {
        checkPrefill(16, 2, 128, 100, 3000, 4096, true, rng, false);
        checkPrefill(32, 8, 64, 512, 0, 1024, false, rng, true);
        checkPrefill(28, 4, 128, 512, 0, 512, true, rng, true);
    }

    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("\n%zu checks, %d failed, %.1f s%s\n", g_rows.size(), g_failed, secs,
                g_failed ? "; failures:" : "");
    for (const Row& row : g_rows)
        if (!row.pass) printRow(row);
    return g_failed ? 1 : 0;
}
