// The driver API of the host emulator, for kernel_check.cu built with -DCHELSEA_EMU: device memory
// is host memory, a launch runs the kernel's host build (emu_runtime.cpp), a module is the list of
// .entry names of the PTX (or of names found in the cubin), so a kernel the checker asks for must
// exist in the shipped files as well as in the sources. Dynamic shared memory above 48 KB needs
// cuFuncSetAttribute, as on a GPU. The device reports compute 9.0 with 4 multiprocessors.
#pragma once

#include <elf.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "emu_api.h"

namespace fake {

struct Mod {
    std::set<std::string> names;
};
struct Fn {
    const emu::Kernel* kernel;
    int maxDynamicSmem = 48 * 1024;
};
static std::map<std::string, Fn> g_fns;

static CUresult Init(unsigned) { return CUDA_SUCCESS; }
static CUresult DriverGetVersion(int* v) {
    *v = 13000;
    return CUDA_SUCCESS;
}
static CUresult DeviceGetCount(int* c) {
    *c = 1;
    return CUDA_SUCCESS;
}
static CUresult DeviceGet(CUdevice* d, int) {
    *d = 0;
    return CUDA_SUCCESS;
}
static CUresult DeviceGetName(char* n, int len, CUdevice) {
    std::snprintf(n, static_cast<size_t>(len), "host emulator (fibers, no GPU)");
    return CUDA_SUCCESS;
}
static CUresult DeviceGetAttribute(int* v, CUdevice_attribute a, CUdevice) {
    switch (a) {
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 9; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 0; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = 4; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *v = 232448; break;
        default: *v = 0; break;
    }
    return CUDA_SUCCESS;
}
static CUresult DevicePrimaryCtxRetain(CUcontext* c, CUdevice) {
    *c = reinterpret_cast<CUcontext>(1);
    return CUDA_SUCCESS;
}
static CUresult CtxSetCurrent(CUcontext) { return CUDA_SUCCESS; }
static CUresult CtxSynchronize() { return CUDA_SUCCESS; }

static CUresult ModuleLoadData(CUmodule* m, const void* image) {
    Mod* mod = new Mod();
    const char* text = static_cast<const char*>(image);
    if (std::strncmp(text, "\x7f" "ELF", 4) == 0) {
        // A cubin: the registry's names that appear in it as strings (its length from the headers).
        Elf64_Ehdr h;
        std::memcpy(&h, image, sizeof h);
        const size_t len = std::max<size_t>(h.e_shoff + static_cast<size_t>(h.e_shnum) * h.e_shentsize,
                                            h.e_phoff + static_cast<size_t>(h.e_phnum) * h.e_phentsize);
        for (size_t i = 0; i < emu::kRegistrySize; ++i) {
            const char* name = emu::kRegistry[i].name;
            if (memmem(text, len, name, std::strlen(name) + 1) != nullptr) mod->names.insert(name);
        }
    } else {
        if (std::strncmp(text, "// chelsea-sources-sha256: ", 27) != 0) return CUDA_ERROR_INVALID_IMAGE;
        const char* p = text;
        while ((p = std::strstr(p, ".visible .entry ")) != nullptr) {
            p += 16;
            const char* e = p;
            while ((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') || *e == '_') ++e;
            mod->names.insert(std::string(p, e));
        }
    }
    *m = reinterpret_cast<CUmodule>(mod);
    return CUDA_SUCCESS;
}
static CUresult ModuleLoadDataEx(CUmodule* m, const void* image, unsigned, CUjit_option*, void**) {
    return ModuleLoadData(m, image);
}
static CUresult ModuleGetFunction(CUfunction* f, CUmodule m, const char* name) {
    const Mod* mod = reinterpret_cast<const Mod*>(m);
    if (!mod->names.count(name)) return CUDA_ERROR_NOT_FOUND;
    for (size_t i = 0; i < emu::kRegistrySize; ++i)
        if (std::strcmp(emu::kRegistry[i].name, name) == 0) {
            Fn& fn = g_fns[name];
            fn.kernel = &emu::kRegistry[i];
            *f = reinterpret_cast<CUfunction>(&fn);
            return CUDA_SUCCESS;
        }
    return CUDA_ERROR_NOT_FOUND;
}
static CUresult MemAlloc(CUdeviceptr* p, size_t n) {
    void* q = nullptr;
    if (posix_memalign(&q, 256, n) != 0) return CUDA_ERROR_OUT_OF_MEMORY;
    *p = reinterpret_cast<CUdeviceptr>(q);
    return CUDA_SUCCESS;
}
static CUresult MemFree(CUdeviceptr p) {
    std::free(reinterpret_cast<void*>(p));
    return CUDA_SUCCESS;
}
static CUresult MemcpyHtoD(CUdeviceptr d, const void* s, size_t n) {
    std::memcpy(reinterpret_cast<void*>(d), s, n);
    return CUDA_SUCCESS;
}
static CUresult MemcpyDtoH(void* d, CUdeviceptr s, size_t n) {
    std::memcpy(d, reinterpret_cast<const void*>(s), n);
    return CUDA_SUCCESS;
}
static CUresult MemsetD8(CUdeviceptr d, unsigned char v, size_t n) {
    std::memset(reinterpret_cast<void*>(d), v, n);
    return CUDA_SUCCESS;
}
static CUresult LaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                             unsigned smem, CUstream, void** args, void**) {
    const Fn* fn = reinterpret_cast<const Fn*>(f);
    if (bx * by * bz == 0 || bx * by * bz > 1024 || gx == 0 || gy == 0 || gz == 0 || gy > 65535 || gz > 65535)
        return CUDA_ERROR_INVALID_VALUE;
    if (static_cast<int>(smem) > fn->maxDynamicSmem) return CUDA_ERROR_INVALID_VALUE;
    emu::launch(*fn->kernel, {gx, gy, gz}, {bx, by, bz}, smem, args);
    return CUDA_SUCCESS;
}
static CUresult FuncSetAttribute(CUfunction f, CUfunction_attribute a, int v) {
    if (a != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES || v > 232448) return CUDA_ERROR_INVALID_VALUE;
    reinterpret_cast<Fn*>(f)->maxDynamicSmem = v;
    return CUDA_SUCCESS;
}
static CUresult EventCreate(CUevent* e, unsigned) {
    *e = reinterpret_cast<CUevent>(new double(0));
    return CUDA_SUCCESS;
}
static CUresult EventRecord(CUevent e, CUstream) {
    *reinterpret_cast<double*>(e) =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    return CUDA_SUCCESS;
}
static CUresult EventSynchronize(CUevent) { return CUDA_SUCCESS; }
static CUresult EventElapsedTime(float* ms, CUevent a, CUevent b) {
    *ms = static_cast<float>(*reinterpret_cast<double*>(b) - *reinterpret_cast<double*>(a));
    return CUDA_SUCCESS;
}
static CUresult GetErrorName(CUresult r, const char** s) {
    *s = r == CUDA_SUCCESS ? "CUDA_SUCCESS" : r == CUDA_ERROR_NOT_FOUND ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR (emulated)";
    return CUDA_SUCCESS;
}
static CUresult GetErrorString(CUresult, const char** s) {
    *s = "emulated driver";
    return CUDA_SUCCESS;
}

}  // namespace fake

static bool loadDriver(std::string&) {
    cu.Init = fake::Init;
    cu.DriverGetVersion = fake::DriverGetVersion;
    cu.DeviceGetCount = fake::DeviceGetCount;
    cu.DeviceGet = fake::DeviceGet;
    cu.DeviceGetName = fake::DeviceGetName;
    cu.DeviceGetAttribute = fake::DeviceGetAttribute;
    cu.DevicePrimaryCtxRetain = fake::DevicePrimaryCtxRetain;
    cu.CtxSetCurrent = fake::CtxSetCurrent;
    cu.CtxSynchronize = fake::CtxSynchronize;
    cu.ModuleLoadData = fake::ModuleLoadData;
    cu.ModuleLoadDataEx = fake::ModuleLoadDataEx;
    cu.ModuleGetFunction = fake::ModuleGetFunction;
    cu.MemAlloc = fake::MemAlloc;
    cu.MemFree = fake::MemFree;
    cu.MemcpyHtoD = fake::MemcpyHtoD;
    cu.MemcpyDtoH = fake::MemcpyDtoH;
    cu.MemsetD8 = fake::MemsetD8;
    cu.LaunchKernel = fake::LaunchKernel;
    cu.FuncSetAttribute = fake::FuncSetAttribute;
    cu.EventCreate = fake::EventCreate;
    cu.EventRecord = fake::EventRecord;
    cu.EventSynchronize = fake::EventSynchronize;
    cu.EventElapsedTime = fake::EventElapsedTime;
    cu.GetErrorName = fake::GetErrorName;
    cu.GetErrorString = fake::GetErrorString;
    return true;
}
