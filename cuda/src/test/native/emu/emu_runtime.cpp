// Fiber runtime of the host emulator: the threads of one block are fibers on one OS
// thread, run until each reaches a barrier; a warp barrier (__syncwarp, each half of a shuffle,
// each WMMA call) releases when every live lane of the warp waits at one, a block barrier when
// every live thread does. Mistakes that a GPU would punish are reported: lanes of a warp at
// different barriers (divergence), a shuffle or __syncwarp while lanes of the warp have exited,
// a __syncthreads that not every thread reaches, misaligned loads.
#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "emu_api.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define EMU_ASAN 1
#else
#define EMU_ASAN 0
#endif

#if !defined(__x86_64__)
#error "the emulator's context switch is written for x86-64"
#endif

// Saves the callee-saved registers on the current stack, stores the stack pointer in *save and
// continues on the stack `next` (System V x86-64). Unlike swapcontext it makes no system call, and
// unlike longjmp it is not intercepted by AddressSanitizer (which would unpoison a whole stack on
// every switch); the switches are announced to ASan with the fiber annotations instead.
extern "C" void emu_switch(void** save, void* next);
asm(R"(
    .text
    .globl emu_switch
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch
    .section .note.GNU-stack,"",@progbits
    .text
)");

namespace emu {

namespace {

enum State { READY, WARP_WAIT, BLOCK_WAIT, DONE };

constexpr size_t kStack = 256 * 1024;

struct Fiber {
    void* sp = nullptr;  // saved stack pointer while switched out
    char* stack = nullptr;
    Dim3 tid;
    int linear = 0;
    State st = READY;
    long warpSyncs = 0, blockSyncs = 0;
    void* fake = nullptr;
};

struct Run {
    Dim3 blockIdx, blockDim, gridDim;
    std::vector<Fiber> fibers;
    int n = 0;
    int current = -1;
    void* sched = nullptr;  // the scheduler's saved stack pointer
    const Kernel* kernel = nullptr;
    void** args = nullptr;
    std::vector<unsigned char> smem;
    std::vector<uint32_t> shfl;
    const void* schedBottom = nullptr;
    size_t schedSize = 0;
    void* schedFake = nullptr;
};

Run R;

[[noreturn]] void fail(const char* what) {
    const Fiber* f = R.current >= 0 ? &R.fibers[R.current] : nullptr;
    std::fprintf(stderr, "emu: %s: kernel %s, block (%u,%u,%u), thread %d\n", what, R.kernel ? R.kernel->name : "?",
                 R.blockIdx.x, R.blockIdx.y, R.blockIdx.z, f ? f->linear : -1);
    std::abort();
}

Fiber& cur() { return R.fibers[R.current]; }

// Back to the scheduler; returns when the scheduler resumes this fiber.
void yield() {
    Fiber& f = cur();
#if EMU_ASAN
    __sanitizer_start_switch_fiber(&f.fake, R.schedBottom, R.schedSize);
#endif
    emu_switch(&f.sp, R.sched);
#if EMU_ASAN
    __sanitizer_finish_switch_fiber(f.fake, &R.schedBottom, &R.schedSize);
#endif
}

[[noreturn]] void entry() {
#if EMU_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &R.schedBottom, &R.schedSize);
#endif
    R.kernel->invoke(R.args);
    cur().st = DONE;
#if EMU_ASAN
    __sanitizer_start_switch_fiber(nullptr, R.schedBottom, R.schedSize);
#endif
    void* dead;
    emu_switch(&dead, R.sched);
    __builtin_unreachable();
}

void resume(int i) {
    R.current = i;
    Fiber& f = R.fibers[i];
#if EMU_ASAN
    __sanitizer_start_switch_fiber(&R.schedFake, f.stack, kStack);
#endif
    emu_switch(&R.sched, f.sp);
#if EMU_ASAN
    __sanitizer_finish_switch_fiber(R.schedFake, nullptr, nullptr);
#endif
    R.current = -1;
}

void runBlock() {
    for (int i = 0; i < R.n; ++i) {
        Fiber& f = R.fibers[i];
        f.st = READY;
        f.warpSyncs = f.blockSyncs = 0;
        f.linear = i;
        f.tid.x = i % R.blockDim.x;
        f.tid.y = (i / R.blockDim.x) % R.blockDim.y;
        f.tid.z = i / (R.blockDim.x * R.blockDim.y);
        // A fresh stack as emu_switch leaves it: six saved registers, then entry() as the return
        // address, then a dummy return address for entry (which never returns).
#if EMU_ASAN
        __asan_unpoison_memory_region(f.stack, kStack);  // frames left by the last block's fibers
#endif
        void** top = reinterpret_cast<void**>(f.stack + kStack) - 8;  // 16-byte aligned
        for (int r = 0; r < 6; ++r) top[r] = nullptr;
        top[6] = reinterpret_cast<void*>(&entry);
        top[7] = nullptr;
        f.sp = top;
    }
    const int warps = (R.n + 31) / 32;
    for (;;) {
        bool ran = false;
        for (int i = 0; i < R.n; ++i)
            if (R.fibers[i].st == READY) {
                resume(i);
                ran = true;
            }
        if (ran) continue;
        int live = 0, atBlock = 0;
        for (auto& f : R.fibers) {
            if (f.st != DONE) ++live;
            if (f.st == BLOCK_WAIT) ++atBlock;
        }
        if (live == 0) return;
        bool released = false;
        for (int w = 0; w < warps; ++w) {
            int waiting = 0, alive = 0;
            long count = -1;
            for (int i = 32 * w; i < std::min(R.n, 32 * w + 32); ++i) {
                const Fiber& f = R.fibers[i];
                if (f.st == DONE) continue;
                ++alive;
                if (f.st == WARP_WAIT) {
                    ++waiting;
                    if (count >= 0 && count != f.warpSyncs) fail("lanes of a warp at different warp barriers");
                    count = f.warpSyncs;
                }
            }
            if (alive > 0 && waiting == alive) {
                for (int i = 32 * w; i < std::min(R.n, 32 * w + 32); ++i)
                    if (R.fibers[i].st == WARP_WAIT) R.fibers[i].st = READY;
                released = true;
            }
        }
        if (released) continue;
        if (atBlock == live) {
            long count = -1;
            for (auto& f : R.fibers) {
                if (f.st != BLOCK_WAIT) continue;
                if (count >= 0 && count != f.blockSyncs) fail("threads at different __syncthreads");
                count = f.blockSyncs;
            }
            for (auto& f : R.fibers)
                if (f.st == BLOCK_WAIT) f.st = READY;
            continue;
        }
        for (auto& f : R.fibers)
            if (f.st == BLOCK_WAIT || f.st == WARP_WAIT) {
                R.current = f.linear;
                fail(f.st == BLOCK_WAIT ? "deadlock: __syncthreads not reached by every thread (some exited or wait in a warp barrier)"
                                        : "deadlock: a warp barrier waits for lanes at __syncthreads");
            }
        fail("deadlock");
    }
}

}  // namespace

const Dim3& threadIdx3() { return cur().tid; }
const Dim3& blockIdx3() { return R.blockIdx; }
const Dim3& blockDim3() { return R.blockDim; }
const Dim3& gridDim3() { return R.gridDim; }
unsigned char* dynamicSmem() { return R.smem.data(); }
int lane() { return cur().linear & 31; }

void checkAlign(const void* p, size_t align, const char* what) {
    if (align == 0 || reinterpret_cast<uintptr_t>(p) % align != 0) {
        char msg[160];
        std::snprintf(msg, sizeof msg, "%s: address %p not aligned to %zu", what, p, align);
        fail(msg);
    }
}

void blockBarrier() {
    Fiber& f = cur();
    f.st = BLOCK_WAIT;
    ++f.blockSyncs;
    yield();
}

void warpSync(unsigned mask) {
    if (mask != 0xffffffffu) fail("partial warp mask");
    Fiber& f = cur();
    const int w = f.linear & ~31;
    for (int i = w; i < std::min(R.n, w + 32); ++i)
        if (R.fibers[i].st == DONE) fail("warp barrier or shuffle while lanes of the warp have exited");
    if (std::min(R.n, w + 32) - w != 32) fail("warp barrier in a partial warp");
    f.st = WARP_WAIT;
    ++f.warpSyncs;
    yield();
}

uint32_t shflXor(unsigned mask, uint32_t v, int laneMask) {
    const int me = cur().linear;
    R.shfl[me] = v;
    warpSync(mask);
    const uint32_t r = R.shfl[(me & ~31) | ((me & 31) ^ laneMask)];
    warpSync(mask);
    return r;
}

void launch(const Kernel& k, Dim3 grid, Dim3 block, size_t dynamicSmemBytes, void** args) {
    const int n = static_cast<int>(block.x * block.y * block.z);
    if (static_cast<int>(R.fibers.size()) < n) {
        const size_t old = R.fibers.size();
        R.fibers.resize(n);
        for (size_t i = old; i < R.fibers.size(); ++i) {
            void* s = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (s == MAP_FAILED) fail("mmap of a fiber stack");
            R.fibers[i].stack = static_cast<char*>(s);
        }
    }
    std::vector<Fiber> spare(R.fibers.begin() + n, R.fibers.end());
    R.fibers.resize(n);
    R.n = n;
    R.kernel = &k;
    R.args = args;
    R.blockDim = block;
    R.gridDim = grid;
    R.shfl.assign(n, 0);
    for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x) {
                R.blockIdx.x = x;
                R.blockIdx.y = y;
                R.blockIdx.z = z;
                // Shared memory starts as garbage on a GPU: NaN bytes here.
                R.smem.assign(dynamicSmemBytes + 16, 0xFF);
                runBlock();
            }
    R.fibers.insert(R.fibers.end(), spare.begin(), spare.end());
    R.kernel = nullptr;
}

}  // namespace emu
