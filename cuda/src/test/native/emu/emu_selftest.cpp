// Checks that the emulated driver (target/emu-driver/libcuda.so.1) is as strict as it promises, so
// that the Java backend's tests on it can fail for the reasons a GPU would: run by
// build-emu-driver.sh after each build, linked against the built library. Exit status 0 when every
// check passed. Its reports on stderr are expected (each check provokes one).
//
// Usage: emu_selftest PTX CUBIN
#include <cuda.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
    std::printf("emu selftest: %-72s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) ++failures;
}

std::string slurp(const char* path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

CUdevice dev;
CUcontext ctx;

void retain() {
    cuDevicePrimaryCtxRetain(&ctx, dev);
    cuCtxSetCurrent(ctx);
}

// chelsea_add(y, x, n): y[i] += x[i], block 256.
CUresult add(CUfunction f, CUstream s, CUdeviceptr y, CUdeviceptr x, int n) {
    void* args[] = {&y, &x, &n};
    return cuLaunchKernel(f, 4, 1, 1, 256, 1, 1, 0, s, args, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: emu_selftest PTX CUBIN\n");
        return 2;
    }
    const std::string ptx = slurp(argv[1]), cubin = slurp(argv[2]);
    expect(cuInit(0) == CUDA_SUCCESS && cuDeviceGet(&dev, 0) == CUDA_SUCCESS, "cuInit, cuDeviceGet");
    CUdeviceptr early = 0;
    expect(cuMemAlloc(&early, 64) == CUDA_ERROR_INVALID_CONTEXT, "no allocation without a current context");
    retain();

    CUmodule mp, mc;
    expect(cuModuleLoadData(&mp, ptx.c_str()) == CUDA_SUCCESS, "the PTX loads");
    expect(cuModuleLoadData(&mc, cubin.data()) == CUDA_SUCCESS, "the cubin loads");
    std::string broken = ptx;
    const size_t at = broken.find(".param .u32 chelsea_add_param_2");
    if (at != std::string::npos) broken.replace(at, 11, ".param .u64");
    CUmodule mb;
    expect(at != std::string::npos && cuModuleLoadData(&mb, broken.c_str()) == CUDA_ERROR_INVALID_IMAGE,
           "a PTX whose parameter layout differs from the host build is refused");
    CUfunction f, g;
    expect(cuModuleGetFunction(&g, mp, "chelsea_no_such_kernel") == CUDA_ERROR_NOT_FOUND, "an unknown kernel name is not found");
    expect(cuModuleGetFunction(&f, mc, "chelsea_add") == CUDA_SUCCESS, "chelsea_add from the cubin");

    const int n = 1000;
    CUdeviceptr y, x, big;
    cuMemAlloc(&y, 4 * n);
    cuMemAlloc(&x, 4 * n);
    cuMemAlloc(&big, 4 * 8 * n);
    float* pinned = nullptr;
    cuMemHostAlloc(reinterpret_cast<void**>(&pinned), 4 * n, 0);
    CUstream s;
    cuStreamCreate(&s, CU_STREAM_NON_BLOCKING);

    // Stream order: a non-blocking stream's work is done only when waited for; a page-locked result
    // read before synchronising is stale.
    std::vector<float> ones(n, 1.0f);
    cuMemcpyHtoD(x, ones.data(), 4 * n);
    cuMemsetD32Async(y, 0, n, s);
    add(f, s, y, x, n);
    for (int i = 0; i < n; ++i) pinned[i] = -7.0f;
    cuMemcpyDtoHAsync(pinned, y, 4 * n, s);
    expect(pinned[0] == -7.0f, "an asynchronous copy to page-locked memory is not done before the stream is waited for");
    expect(cuStreamSynchronize(s) == CUDA_SUCCESS && pinned[0] == 1.0f && pinned[n - 1] == 1.0f, "it is done after cuStreamSynchronize");

    // Graphs: a captured kernel reads memory at replay, not at capture; pageable copies cannot be captured.
    CUgraph graph;
    CUgraphExec exec;
    cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
    add(f, s, y, x, n);
    expect(cuStreamEndCapture(s, &graph) == CUDA_SUCCESS && cuGraphInstantiate(&exec, graph, 0) == CUDA_SUCCESS, "capture a graph");
    std::vector<float> twos(n, 2.0f);
    cuMemcpyHtoD(x, twos.data(), 4 * n);
    cuGraphLaunch(exec, s);
    cuGraphLaunch(exec, s);
    cuMemcpyDtoHAsync(pinned, y, 4 * n, s);
    cuStreamSynchronize(s);
    expect(pinned[5] == 5.0f, "two replays add the values the input holds at replay time");
    cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
    const CUresult pageable = cuMemcpyHtoDAsync(x, ones.data(), 4 * n, s);
    CUgraph invalid;
    expect(pageable != CUDA_SUCCESS && cuStreamEndCapture(s, &invalid) == CUDA_ERROR_STREAM_CAPTURE_INVALIDATED,
           "a pageable copy invalidates a capture");

    // Launch arguments must point into live device allocations.
    CUdeviceptr wild = y + 64 * 1024 * 1024;
    expect(add(f, s, wild, x, n) == CUDA_ERROR_INVALID_VALUE, "a pointer argument outside every allocation is refused");
    expect(add(f, s, reinterpret_cast<CUdeviceptr>(pinned), x, n) == CUDA_ERROR_INVALID_VALUE,
           "a page-locked host pointer is refused as a kernel argument");
    expect(cuMemcpyDtoH(ones.data(), y, 4 * n + 4) == CUDA_ERROR_INVALID_VALUE, "a copy past the end of an allocation is refused");
    cuStreamSynchronize(s);

    // A replayed graph whose buffers were freed is a host bug.
    CUdeviceptr x2;
    cuMemAlloc(&x2, 4 * n);
    cuMemFree(x);
    expect(cuGraphLaunch(exec, s) == CUDA_ERROR_INVALID_VALUE, "a graph over freed memory is refused at launch");
    x = x2;

    // Out-of-bounds accesses by a kernel: an illegal address, then every call fails until the context goes.
    const char* cases[] = {
        "a kernel writing 40 bytes past its output (guard bytes) is an illegal address",
        "a kernel writing pages past its output is an illegal address",
        "a kernel reading pages past its input is an illegal address",
    };
    for (int c = 0; c < 3; ++c) {
        const CUresult launched = c == 0 ? add(f, s, y, big, n + 10) : c == 1 ? add(f, s, y, big, 3 * n) : add(f, s, big, x, 3 * n);
        const CUresult synced = cuStreamSynchronize(s);
        CUdeviceptr more;
        const CUresult after = cuMemAlloc(&more, 256);
        expect(launched == CUDA_SUCCESS && synced == CUDA_ERROR_ILLEGAL_ADDRESS && after == CUDA_ERROR_ILLEGAL_ADDRESS, cases[c]);
        // The context goes with everything made in it; a new one starts clean.
        cuDevicePrimaryCtxRelease(dev);
        retain();
        expect(cuStreamSynchronize(s) == CUDA_ERROR_INVALID_HANDLE, "a stream of the released context is gone");
        cuStreamCreate(&s, CU_STREAM_NON_BLOCKING);
        cuModuleLoadData(&mc, cubin.data());
        cuModuleGetFunction(&f, mc, "chelsea_add");
        cuMemAlloc(&y, 4 * n);
        cuMemAlloc(&x, 4 * n);
        cuMemAlloc(&big, 4 * 8 * n);
        cuMemsetD32(big, 0, 8 * n);
    }
    cuMemcpyHtoD(x, ones.data(), 4 * n);
    cuMemsetD32(y, 0, n);
    expect(add(f, s, y, x, n) == CUDA_SUCCESS && cuStreamSynchronize(s) == CUDA_SUCCESS, "a new context works again");

    std::printf("emu selftest: %s\n", failures == 0 ? "all passed" : "FAILED");
    return failures == 0 ? 0 : 1;
}
