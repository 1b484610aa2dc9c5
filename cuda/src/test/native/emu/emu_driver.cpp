// The CUDA driver API of the host emulator: the C functions of libcuda.so.1, with device memory in
// host memory and kernels run by their host build (emu_runtime.cpp, kernels_host.cpp). Linked into
// the kernel checker (build-emu-check.sh) and built as a fake libcuda.so.1 for the Java backend
// (build-emu-driver.sh), whose JCuda binding links these names.
//
// It behaves like a strict GPU, so that the host code's mistakes show up:
//  - work on a created stream is queued and runs only when the host waits for it (stream, event or
//    context synchronisation, a blocking copy of the legacy stream, freeing memory), so reading a
//    page-locked result before synchronising reads stale bytes, as it could on a GPU; the legacy
//    (NULL) stream runs at once, after the blocking streams' queued work;
//  - copies from pageable host memory are done as the driver does them (host-to-device: the source
//    is read at the call; device-to-host: the stream is drained and the copy is done before the
//    call returns), and are refused inside a stream capture;
//  - stream capture records kernels, copies and memsets into a graph; unsafe calls from a capturing
//    thread (allocation, blocking copies, synchronising the capturing stream) invalidate it;
//  - every copy, memset and pointer argument of a launch must lie inside one live allocation of the
//    right kind (device or page-locked); new allocations are filled with 0xFF bytes (NaN floats);
//    each allocation has guard bytes before and after, checked after every kernel that received a
//    pointer into it and when it is freed: a write outside is reported and, as an illegal address
//    on a GPU, makes every later call fail;
//  - calls need cuInit and a current context, as on a GPU.
// One mutex serialises every call: kernels of concurrent streams run one after another.
#include <cuda.h>
#include <elf.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "emu_api.h"

#define EMU_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

constexpr const char* kDeviceName = "Chelsea host emulator (no GPU: kernels run on the CPU)";
constexpr int kMultiprocessors = 4;
constexpr int kSmemOptin = 232448;  // H100/H200
constexpr size_t kGuard = 64;       // guard bytes on each side of an allocation
constexpr size_t kAlign = 256;      // cuMemAlloc's alignment
constexpr unsigned char kGuardByte = 0xA5;

std::recursive_mutex g_mu;
bool g_init = false;
CUresult g_sticky = CUDA_SUCCESS;  // an illegal address poisons the context, as on a GPU

// Reports go to stderr and, when CHELSEA_EMU_LOG names a file, are appended to it too (a forked test
// JVM's native stderr may not reach the build's output; the Maven execution sets it).
void report(const char* fmt, ...) {
    static FILE* log = [] {
        const char* path = std::getenv("CHELSEA_EMU_LOG");
        return path && *path ? std::fopen(path, "a") : nullptr;
    }();
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    std::fprintf(stderr, "emu driver: %s\n", msg);
    std::fflush(stderr);
    if (log) {
        std::fprintf(log, "emu driver: %s\n", msg);
        std::fflush(log);
    }
}

size_t deviceMemory() {
    const char* e = std::getenv("CHELSEA_EMU_DEVICE_MEMORY");
    return e ? std::strtoull(e, nullptr, 10) : (size_t{4} << 30);
}

// ------------------------------------------------------------------------------------------ memory
// Each allocation is its own mapping: an inaccessible page, the bytes up to the user address (guard
// bytes), the user's n bytes rounded up to 256 (the rest guard bytes), an inaccessible page. A
// kernel that reads or writes past the rounded end, or before the start's page, faults at once (the
// fault handler below turns that into CUDA_ERROR_ILLEGAL_ADDRESS, as a GPU does); a write into the
// guard bytes is found after the kernel by the guard check. Freed memory is unmapped, so a graph or
// kernel that still uses it faults too.
struct Alloc {
    unsigned char* map;  // the mapping, guard pages included
    size_t mapBytes;
    size_t size;  // what the caller asked for
    bool pinned;
};
std::map<uintptr_t, Alloc> g_allocs;  // by user address
size_t g_deviceUsed = 0;
const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

// The allocation of the right kind that holds [p, p + n), or nullptr.
const Alloc* holding(uintptr_t p, size_t n, bool pinned) {
    auto it = g_allocs.upper_bound(p);
    if (it == g_allocs.begin()) return nullptr;
    --it;
    if (it->second.pinned != pinned) return nullptr;
    if (p < it->first || p + n > it->first + it->second.size || p + n < p) return nullptr;
    return &it->second;
}

// The allocation whose mapping (guard pages included) holds p, or nullptr; its user address in *user.
const Alloc* mappingOf(uintptr_t p, uintptr_t* user) {
    for (auto& [u, a] : g_allocs) {
        const uintptr_t m = reinterpret_cast<uintptr_t>(a.map);
        if (p >= m && p < m + a.mapBytes) {
            *user = u;
            return &a;
        }
    }
    return nullptr;
}

bool guardsIntact(uintptr_t user, const Alloc& a) {
    const unsigned char* front = a.map + kPage;
    const unsigned char* back = reinterpret_cast<const unsigned char*>(user) + a.size;
    const unsigned char* end = a.map + a.mapBytes - kPage;
    for (const unsigned char* g = front; g < reinterpret_cast<const unsigned char*>(user); ++g)
        if (*g != kGuardByte) return false;
    for (const unsigned char* g = back; g < end; ++g)
        if (*g != kGuardByte) return false;
    return true;
}

CUresult allocate(uintptr_t* out, size_t n, bool pinned) {
    if (n == 0) return CUDA_ERROR_INVALID_VALUE;
    if (!pinned && n > deviceMemory() - std::min(deviceMemory(), g_deviceUsed)) return CUDA_ERROR_OUT_OF_MEMORY;
    const size_t rounded = (n + kAlign - 1) / kAlign * kAlign;
    // At least kGuard guard bytes before the user address, which stays 256-byte aligned (cuMemAlloc's).
    const size_t body = (rounded + kGuard + kPage - 1) / kPage * kPage;
    const size_t mapBytes = body + 2 * kPage;
    void* m = mmap(nullptr, mapBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
    unsigned char* b = static_cast<unsigned char*>(m);
    if (mprotect(b, kPage, PROT_NONE) != 0 || mprotect(b + kPage + body, kPage, PROT_NONE) != 0) {
        munmap(m, mapBytes);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    unsigned char* user = b + kPage + body - rounded;
    std::memset(b + kPage, kGuardByte, static_cast<size_t>(user - (b + kPage)));
    std::memset(user, 0xFF, n);  // uninitialised memory: NaN as float and half, -1 as int
    std::memset(user + n, kGuardByte, rounded - n);
    g_allocs[reinterpret_cast<uintptr_t>(user)] = Alloc{b, mapBytes, n, pinned};
    if (!pinned) g_deviceUsed += n;
    *out = reinterpret_cast<uintptr_t>(user);
    return CUDA_SUCCESS;
}

void release(std::map<uintptr_t, Alloc>::iterator it) {
    if (!it->second.pinned) g_deviceUsed -= it->second.size;
    munmap(it->second.map, it->second.mapBytes);
    g_allocs.erase(it);
}

// ------------------------------------------------------------------------------------------ modules
struct Fn {
    const emu::Kernel* kernel;
    std::vector<unsigned char> paramSizes;  // as the image declares them: what cuLaunchKernel reads
    int maxDynamicSmem = 48 * 1024;
};
struct Mod {
    std::map<std::string, Fn> fns;
};
std::set<Mod*> g_mods;

const emu::Kernel* registered(const std::string& name) {
    for (size_t i = 0; i < emu::kRegistrySize; ++i)
        if (name == emu::kRegistry[i].name) return &emu::kRegistry[i];
    return nullptr;
}

// The kernel `name` with the parameter sizes its image declares: the host build of the kernels must
// have it with the same sizes, or the image is not the one the emulator was built from.
CUresult addKernel(Mod* mod, const std::string& name, const std::vector<unsigned char>& sizes) {
    const emu::Kernel* k = registered(name);
    if (!k) {
        report("cuModuleLoadData: the image has a kernel %s that the emulator's host build lacks (rebuild it)", name.c_str());
        return CUDA_ERROR_INVALID_IMAGE;
    }
    bool same = static_cast<int>(sizes.size()) == k->params;
    for (size_t i = 0; same && i < sizes.size(); ++i) same = sizes[i] == k->paramSizes[i];
    if (!same) {
        std::string a, b;
        for (unsigned char z : sizes) a += std::to_string(z) + " ";
        for (int i = 0; i < k->params; ++i) b += std::to_string(k->paramSizes[i]) + " ";
        report("cuModuleLoadData: kernel %s has parameters of ( %s) bytes in the image and ( %s) in the host build", name.c_str(),
               a.c_str(), b.c_str());
        return CUDA_ERROR_INVALID_IMAGE;
    }
    mod->fns[name] = Fn{k, sizes};
    return CUDA_SUCCESS;
}

// A cubin: every kernel has a section .nv.info.<name> of records (format byte, attribute byte, then
// two bytes (formats 1 to 3) or, format 0x04, a 16-bit length and that many bytes): EIATTR_KPARAM_INFO (format
// 0x04, attribute 0x17: index u32, ordinal u16, offset u16, then a word whose bits 18..31 are the
// size) give its parameters.
CUresult loadCubin(Mod* mod, const unsigned char* d) {
    Elf64_Ehdr h;
    std::memcpy(&h, d, sizeof h);
    if (h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_shentsize != sizeof(Elf64_Shdr) || h.e_shstrndx >= h.e_shnum)
        return CUDA_ERROR_INVALID_IMAGE;
    std::vector<Elf64_Shdr> sec(h.e_shnum);
    std::memcpy(sec.data(), d + h.e_shoff, sizeof(Elf64_Shdr) * h.e_shnum);
    const char* names = reinterpret_cast<const char*>(d + sec[h.e_shstrndx].sh_offset);
    const std::string prefix = ".nv.info.";
    int kernels = 0;
    for (const Elf64_Shdr& sh : sec) {
        const std::string name = names + sh.sh_name;
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        std::vector<unsigned char> sizes;
        const unsigned char* r = d + sh.sh_offset;
        const unsigned char* end = r + sh.sh_size;
        while (r + 2 <= end) {
            const unsigned char format = r[0], attr = r[1];
            r += 2;
            if (format == 0x01 || format == 0x02 || format == 0x03) {  // none, a byte or a half-word: two bytes
                r += 2;
                continue;
            }
            if (format != 0x04 || r + 2 > end) return CUDA_ERROR_INVALID_IMAGE;
            uint16_t n;
            std::memcpy(&n, r, 2);
            r += 2;
            if (attr == 0x17 && n >= 12) {
                uint16_t ordinal;
                uint32_t word;
                std::memcpy(&ordinal, r + 4, 2);
                std::memcpy(&word, r + 8, 4);
                if (sizes.size() <= ordinal) sizes.resize(ordinal + 1u, 0);
                sizes[ordinal] = static_cast<unsigned char>((word >> 18) & 0x3fff);
            }
            r += n;
        }
        if (CUresult e = addKernel(mod, name.substr(prefix.size()), sizes); e != CUDA_SUCCESS) return e;
        ++kernels;
    }
    return kernels > 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_IMAGE;
}

// PTX: each ".visible .entry name(" is followed by ".param .<type> name" lines up to ")".
CUresult loadPtx(Mod* mod, const char* text) {
    if (std::strncmp(text, "// chelsea-sources-sha256: ", 27) != 0) return CUDA_ERROR_INVALID_IMAGE;
    const char* p = text;
    while ((p = std::strstr(p, ".visible .entry ")) != nullptr) {
        p += 16;
        const char* e = p;
        while ((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') || *e == '_') ++e;
        const std::string name(p, e);
        const char* close = std::strchr(e, ')');
        if (*e != '(' || !close) return CUDA_ERROR_INVALID_IMAGE;
        std::vector<unsigned char> sizes;
        for (const char* q = e; (q = std::strstr(q, ".param .")) != nullptr && q < close;) {
            q += 8;
            int bits = 0;
            if (std::strchr("usbf", *q) == nullptr) return CUDA_ERROR_INVALID_IMAGE;  // .align (structs): not used by our kernels
            for (++q; *q >= '0' && *q <= '9'; ++q) bits = bits * 10 + (*q - '0');
            sizes.push_back(static_cast<unsigned char>(bits / 8));
        }
        if (CUresult r = addKernel(mod, name, sizes); r != CUDA_SUCCESS) return r;
        p = close;
    }
    return mod->fns.empty() ? CUDA_ERROR_INVALID_IMAGE : CUDA_SUCCESS;
}

// A module holds the kernels its image declares, with their parameter layouts: our PTX (its first
// line carries the sources' hash) or a cubin.
CUresult loadImage(Mod* mod, const void* image) {
    const char* text = static_cast<const char*>(image);
    if (std::strncmp(text, "\x7f" "ELF", 4) == 0) return loadCubin(mod, static_cast<const unsigned char*>(image));
    return loadPtx(mod, text);
}

// ------------------------------------------------------------------------------------------ work
struct Stream;
struct Event {
    double ms = 0;
    bool done = true;
    Stream* stream = nullptr;  // where it was last recorded
};

struct Op {
    enum Kind { KERNEL, COPY, MEMSET, RECORD, WAIT } kind;
    // KERNEL
    const Fn* fn = nullptr;
    emu::Dim3 grid, block;
    unsigned smem = 0;
    std::vector<unsigned long long> args;  // one 8-byte slot per parameter
    // COPY (src may point into `snapshot`), MEMSET
    uintptr_t dst = 0, src = 0;
    size_t bytes = 0;
    std::shared_ptr<std::vector<unsigned char>> snapshot;
    unsigned value = 0;
    int elem = 1;
    // RECORD, WAIT
    Event* event = nullptr;
};

struct Graph {
    std::vector<Op> ops;
};

struct Stream {
    unsigned flags = 0;
    std::deque<Op> queue;
    Graph* capture = nullptr;
    bool captureInvalid = false;
    CUstreamCaptureMode mode = CU_STREAM_CAPTURE_MODE_GLOBAL;
    std::thread::id captureThread;
};
Stream g_legacy;  // the NULL stream: runs at once
std::set<Stream*> g_streams;
std::set<Graph*> g_graphs;
std::set<Graph*> g_execs;
std::set<Event*> g_events;

Stream* streamOf(CUstream s) {
    if (s == nullptr || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD) return &g_legacy;
    Stream* st = reinterpret_cast<Stream*>(s);
    return g_streams.count(st) ? st : nullptr;
}

void flush(Stream* s);

// CHELSEA_EMU_PROFILE=1: time per kernel, printed at exit (to find what makes an emulated test slow).
struct Profile {
    std::map<std::string, std::pair<long, double>> byKernel;
    bool on = std::getenv("CHELSEA_EMU_PROFILE") != nullptr;
    ~Profile() {
        if (!on) return;
        std::vector<std::pair<double, std::string>> rows;
        for (auto& [name, v] : byKernel) rows.push_back({v.second, name});
        std::sort(rows.rbegin(), rows.rend());
        for (auto& [s, name] : rows)
            std::fprintf(stderr, "emu profile: %-36s %8ld launches %9.3f s\n", name.c_str(), byKernel[name].first, s);
    }
};
Profile g_profile;

// A kernel's access outside every live allocation faults (guard pages, unmapped memory). On a GPU
// that is an illegal address: the launch fails, and so does every later call. The handler below is
// installed once, before the first kernel runs; a fault on the thread that runs a kernel is reported
// with the kernel, block and thread, and ends the kernel (siglongjmp); any other fault goes to the
// handler that was there before (in a JVM, its own: safepoint polls and null checks fault on purpose).
// The sanitizer build (build-emu-check.sh) leaves faults to AddressSanitizer, which reports them.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kTrapFaults = false;
#else
constexpr bool kTrapFaults = true;
#endif
thread_local sigjmp_buf* t_kernelFault = nullptr;
thread_local const Op* t_kernelOp = nullptr;
struct sigaction g_previousSegv, g_previousBus;

void onFault(int sig, siginfo_t* info, void* ctx) {
    if (t_kernelFault != nullptr) {
        const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
        uintptr_t user = 0;
        char where[96];
        emu::describeCurrent(where, sizeof where);
        const Op& op = *t_kernelOp;
        if (const Alloc* a = mappingOf(addr, &user)) {
            const long off = static_cast<long>(addr - user);
            report("kernel %s (grid %ux%ux%u, block %u) accessed %#lx, %ld bytes %s the %s allocation of %zu bytes at %#lx (%s): "
                   "an illegal address; every later call fails",
                   op.fn->kernel->name, op.grid.x, op.grid.y, op.grid.z, op.block.x, static_cast<unsigned long>(addr),
                   off < 0 ? -off : off - static_cast<long>(a->size), off < 0 ? "before" : "past the end of",
                   a->pinned ? "page-locked host" : "device", a->size, static_cast<unsigned long>(user), where);
        } else {
            report("kernel %s (grid %ux%ux%u, block %u) accessed %#lx, which is in no live allocation (%s): an illegal address; "
                   "every later call fails",
                   op.fn->kernel->name, op.grid.x, op.grid.y, op.grid.z, op.block.x, static_cast<unsigned long>(addr), where);
        }
        siglongjmp(*t_kernelFault, 1);
    }
    const struct sigaction& prev = sig == SIGBUS ? g_previousBus : g_previousSegv;
    if (prev.sa_flags & SA_SIGINFO) {
        prev.sa_sigaction(sig, info, ctx);
    } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
        prev.sa_handler(sig);
    } else {
        signal(sig, SIG_DFL);  // the fault happens again on return, and kills the process as it would have
    }
}

void installFaultHandler() {
    static bool installed = false;
    if (!kTrapFaults || installed) return;
    installed = true;
    for (auto [sig, prev] : {std::pair{SIGSEGV, &g_previousSegv}, std::pair{SIGBUS, &g_previousBus}}) {
        sigaction(sig, nullptr, prev);
        struct sigaction sa {};
        sa.sa_sigaction = onFault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
        sa.sa_mask = prev->sa_mask;  // what the previous handler expects blocked while it runs
        sigaction(sig, &sa, nullptr);
    }
}

void runKernel(const Op& op) {
    const emu::Kernel& k = *op.fn->kernel;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<void*> argv(static_cast<size_t>(k.params));
    std::vector<unsigned long long> args = op.args;  // the kernel may not write its parameters back here
    for (int i = 0; i < k.params; ++i) argv[static_cast<size_t>(i)] = &args[static_cast<size_t>(i)];
    installFaultHandler();
    sigjmp_buf fault;
    if (sigsetjmp(fault, 1) != 0) {
        t_kernelFault = nullptr;
        t_kernelOp = nullptr;
        emu::abandonLaunch();
        g_sticky = CUDA_ERROR_ILLEGAL_ADDRESS;
        return;
    }
    t_kernelOp = &op;
    t_kernelFault = &fault;
    emu::launch(k, op.grid, op.block, op.smem, argv.data());
    t_kernelFault = nullptr;
    t_kernelOp = nullptr;
    if (g_profile.on) {
        auto& p = g_profile.byKernel[k.name];
        ++p.first;
        p.second += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    for (int i = 0; i < k.params; ++i) {
        if (!k.paramIsPointer[i] || op.args[static_cast<size_t>(i)] == 0) continue;
        const uintptr_t p = static_cast<uintptr_t>(op.args[static_cast<size_t>(i)]);
        auto it = g_allocs.upper_bound(p);
        if (it == g_allocs.begin()) continue;
        --it;
        if (!guardsIntact(it->first, it->second)) {
            report("kernel %s (grid %ux%ux%u, block %u) wrote outside the device allocation of %zu bytes at %#lx that its "
                   "parameter %d points into: an illegal address; every later call fails",
                   k.name, op.grid.x, op.grid.y, op.grid.z, op.block.x, it->second.size, static_cast<unsigned long>(it->first), i);
            g_sticky = CUDA_ERROR_ILLEGAL_ADDRESS;
            return;
        }
    }
}

void execute(const Op& op) {
    if (g_sticky != CUDA_SUCCESS) return;
    switch (op.kind) {
        case Op::KERNEL:
            runKernel(op);
            break;
        case Op::COPY:
            std::memmove(reinterpret_cast<void*>(op.dst), op.snapshot ? op.snapshot->data() : reinterpret_cast<const void*>(op.src),
                         op.bytes);
            break;
        case Op::MEMSET: {
            unsigned char* d = reinterpret_cast<unsigned char*>(op.dst);
            for (size_t i = 0; i < op.bytes / static_cast<size_t>(op.elem); ++i)
                std::memcpy(d + i * static_cast<size_t>(op.elem), &op.value, static_cast<size_t>(op.elem));
            break;
        }
        case Op::RECORD:
            if (g_events.count(op.event)) {
                op.event->ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
                op.event->done = true;
            }
            break;
        case Op::WAIT:
            if (g_events.count(op.event) && !op.event->done && op.event->stream) flush(op.event->stream);
            break;
    }
}

void flush(Stream* s) {
    while (!s->queue.empty()) {
        Op op = std::move(s->queue.front());
        s->queue.pop_front();
        execute(op);
    }
}

// Everything queued anywhere (context synchronisation, freeing memory).
void flushAll() {
    for (Stream* s : std::vector<Stream*>(g_streams.begin(), g_streams.end()))
        if (g_streams.count(s)) flush(s);
}

// The legacy stream waits for the blocking streams' earlier work.
void flushBlocking() {
    for (Stream* s : std::vector<Stream*>(g_streams.begin(), g_streams.end()))
        if (g_streams.count(s) && !(s->flags & CU_STREAM_NON_BLOCKING) && !s->capture) flush(s);
}

// A capture this thread must not disturb with an unsafe call (allocation, blocking copy): returns
// the stream, after invalidating its capture, as the driver does.
Stream* unsafeCallDuringCapture() {
    for (Stream* s : g_streams)
        if (s->capture && s->mode != CU_STREAM_CAPTURE_MODE_RELAXED &&
            (s->captureThread == std::this_thread::get_id() || s->mode == CU_STREAM_CAPTURE_MODE_GLOBAL)) {
            s->captureInvalid = true;
            return s;
        }
    return nullptr;
}

CUresult enqueue(Stream* s, Op op) {
    if (s->capture) {
        if (op.kind == Op::RECORD || op.kind == Op::WAIT) return CUDA_ERROR_NOT_SUPPORTED;
        s->capture->ops.push_back(std::move(op));
        return CUDA_SUCCESS;
    }
    if (s == &g_legacy) {
        flushBlocking();
        execute(op);
        return g_sticky;
    }
    s->queue.push_back(std::move(op));
    return CUDA_SUCCESS;
}

// ------------------------------------------------------------------------------------------ context
struct Ctx {
    int refs = 0;
};
Ctx g_primary;
thread_local Ctx* t_current = nullptr;
std::vector<Ctx*>* ctxStack() {
    thread_local std::vector<Ctx*> s;
    return &s;
}

CUresult ready() {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (g_sticky != CUDA_SUCCESS) return g_sticky;
    if (t_current == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
    if (t_current->refs <= 0) return CUDA_ERROR_CONTEXT_IS_DESTROYED;
    return CUDA_SUCCESS;
}

#define LOCKED_READY()                          \
    std::lock_guard<std::recursive_mutex> lk(g_mu); \
    if (CUresult r_ = ready(); r_ != CUDA_SUCCESS) return r_

// A device range [p, p + n) or a reason.
CUresult checkDevice(uintptr_t p, size_t n, const char* call, const char* what) {
    if (holding(p, n, false)) return CUDA_SUCCESS;
    report("%s: the %s [%#lx, +%zu) is not inside one device allocation", call, what, static_cast<unsigned long>(p), n);
    return CUDA_ERROR_INVALID_VALUE;
}

bool isPinned(const void* p, size_t n) { return holding(reinterpret_cast<uintptr_t>(p), n, true) != nullptr; }

CUresult copyAsync(uintptr_t dst, uintptr_t src, size_t n, bool dstDevice, bool srcDevice, CUstream hs, const char* call) {
    LOCKED_READY();
    Stream* s = streamOf(hs);
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    if (dstDevice) {
        if (CUresult r = checkDevice(dst, n, call, "destination"); r != CUDA_SUCCESS) return r;
    }
    if (srcDevice) {
        if (CUresult r = checkDevice(src, n, call, "source"); r != CUDA_SUCCESS) return r;
    }
    if (n == 0) return CUDA_SUCCESS;
    Op op;
    op.kind = Op::COPY;
    op.dst = dst;
    op.src = src;
    op.bytes = n;
    const bool hostPageable = (!dstDevice && !isPinned(reinterpret_cast<void*>(dst), n)) ||
                              (!srcDevice && !isPinned(reinterpret_cast<void*>(src), n));
    if (hostPageable) {
        if (s->capture) {
            report("%s: a copy with pageable host memory cannot be captured into a graph (use page-locked memory)", call);
            s->captureInvalid = true;
            return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
        }
        if (!srcDevice) {
            // Host to device: the driver stages the source before returning, so it may be reused at once.
            op.snapshot = std::make_shared<std::vector<unsigned char>>(reinterpret_cast<unsigned char*>(src),
                                                                       reinterpret_cast<unsigned char*>(src) + n);
        } else {
            // Device to pageable host: returns once the copy is done, after the stream's earlier work.
            if (s != &g_legacy) flush(s);
            return enqueue(&g_legacy, std::move(op));
        }
    }
    return enqueue(s, std::move(op));
}

CUresult copySync(uintptr_t dst, uintptr_t src, size_t n, bool dstDevice, bool srcDevice, const char* call) {
    {
        std::lock_guard<std::recursive_mutex> lk(g_mu);
        if (Stream* s = unsafeCallDuringCapture()) {
            report("%s during a stream capture: a blocking copy invalidates the capture", call);
            (void)s;
            return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
        }
    }
    return copyAsync(dst, src, n, dstDevice, srcDevice, nullptr, call);
}

CUresult memsetAsync(CUdeviceptr d, unsigned value, int elem, size_t count, CUstream hs, bool sync, const char* call) {
    LOCKED_READY();
    if (sync && unsafeCallDuringCapture()) return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
    Stream* s = streamOf(hs);
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    const size_t n = count * static_cast<size_t>(elem);
    if (CUresult r = checkDevice(static_cast<uintptr_t>(d), n, call, "destination"); r != CUDA_SUCCESS) return r;
    if (static_cast<uintptr_t>(d) % static_cast<uintptr_t>(elem) != 0) return CUDA_ERROR_INVALID_VALUE;
    if (n == 0) return CUDA_SUCCESS;
    Op op;
    op.kind = Op::MEMSET;
    op.dst = static_cast<uintptr_t>(d);
    op.bytes = n;
    op.value = value;
    op.elem = elem;
    return enqueue(s, std::move(op));
}

const char* errorName(CUresult r) {
    switch (r) {
        case CUDA_SUCCESS: return "CUDA_SUCCESS";
        case CUDA_ERROR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
        case CUDA_ERROR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
        case CUDA_ERROR_NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
        case CUDA_ERROR_INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
        case CUDA_ERROR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
        case CUDA_ERROR_INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
        case CUDA_ERROR_CONTEXT_IS_DESTROYED: return "CUDA_ERROR_CONTEXT_IS_DESTROYED";
        case CUDA_ERROR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
        case CUDA_ERROR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
        case CUDA_ERROR_NOT_READY: return "CUDA_ERROR_NOT_READY";
        case CUDA_ERROR_ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
        case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
        case CUDA_ERROR_NOT_SUPPORTED: return "CUDA_ERROR_NOT_SUPPORTED";
        case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
        case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED: return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
        case CUDA_ERROR_STREAM_CAPTURE_IMPLICIT: return "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT";
        case CUDA_ERROR_ILLEGAL_STATE: return "CUDA_ERROR_ILLEGAL_STATE";
        default: return nullptr;
    }
}

}  // namespace

// ================================================================================== the driver API
// The names are the symbols libcuda exports (and JCuda 12.6 links): cuda.h maps some of them to
// _v2 versions with macros, so those are written out here.

EMU_EXPORT CUresult cuGetErrorName(CUresult r, const char** s) {
    *s = errorName(r);
    return *s ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EMU_EXPORT CUresult cuGetErrorString(CUresult r, const char** s) {
    *s = errorName(r) ? "(Chelsea host emulator; details on its standard error)" : nullptr;
    return *s ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EMU_EXPORT CUresult cuInit(unsigned int flags) {
    std::lock_guard<std::recursive_mutex> lk(g_mu);
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    g_init = true;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDriverGetVersion(int* v) {
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    *v = 12080;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGetCount(int* c) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    *c = 1;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGet(CUdevice* d, int ordinal) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0 || len <= 0) return d != 0 ? CUDA_ERROR_INVALID_DEVICE : CUDA_ERROR_INVALID_VALUE;
    std::snprintf(name, static_cast<size_t>(len), "%s", kDeviceName);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    *bytes = deviceMemory();
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGetAttribute(int* v, CUdevice_attribute a, CUdevice d) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    switch (a) {
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 9; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 0; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = kMultiprocessors; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *v = kSmemOptin; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *v = 48 * 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = 1024; break;
        case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *v = 32; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *v = 2147483647; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y:
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *v = 65535; break;
        case CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING: *v = 1; break;
        default: *v = 0; break;
    }
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice d) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    *major = 9;
    *minor = 0;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext* c, CUdevice d) {
    std::lock_guard<std::recursive_mutex> lk(g_mu);
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    ++g_primary.refs;
    *c = reinterpret_cast<CUcontext>(&g_primary);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    std::lock_guard<std::recursive_mutex> lk(g_mu);
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (g_primary.refs <= 0) return CUDA_ERROR_INVALID_CONTEXT;
    if (--g_primary.refs == 0) {
        // The context goes, and with it everything made in it (memory, page-locked memory included,
        // modules, streams, events, graphs): say what was left behind, then free it, so that a handle
        // or pointer kept past the context fails as it would on a GPU.
        flushAll();
        size_t n = 0, bytes = 0, pinned = 0;
        for (auto& [p, a] : g_allocs) {
            if (a.pinned) ++pinned;
            else {
                ++n;
                bytes += a.size;
            }
        }
        if (n + pinned + g_streams.size() + g_events.size() + g_execs.size() > 0)
            report("the primary context was released with %zu device allocations (%zu bytes), %zu page-locked buffers, %zu streams, "
                   "%zu events and %zu graphs not freed; they go with it", n, bytes, pinned, g_streams.size(), g_events.size(), g_execs.size());
        while (!g_allocs.empty()) release(g_allocs.begin());
        for (Stream* x : g_streams) delete x;
        for (Mod* x : g_mods) delete x;
        for (Graph* x : g_graphs) delete x;
        for (Graph* x : g_execs) delete x;
        for (Event* x : g_events) delete x;
        g_streams.clear();
        g_mods.clear();
        g_graphs.clear();
        g_execs.clear();
        g_events.clear();
        g_legacy.queue.clear();
        g_sticky = CUDA_SUCCESS;  // the next retain makes a new context, which an old illegal address does not poison
    }
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDevicePrimaryCtxGetState(CUdevice d, unsigned int* flags, int* active) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    *flags = 0;
    *active = g_primary.refs > 0;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxSetCurrent(CUcontext c) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    Ctx* x = reinterpret_cast<Ctx*>(c);
    if (x != nullptr && x != &g_primary) return CUDA_ERROR_INVALID_CONTEXT;
    t_current = x;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxGetCurrent(CUcontext* c) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    *c = reinterpret_cast<CUcontext>(t_current);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxPushCurrent_v2(CUcontext c) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (reinterpret_cast<Ctx*>(c) != &g_primary) return CUDA_ERROR_INVALID_CONTEXT;
    ctxStack()->push_back(t_current);
    t_current = reinterpret_cast<Ctx*>(c);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxPopCurrent_v2(CUcontext* c) {
    if (!g_init) return CUDA_ERROR_NOT_INITIALIZED;
    if (ctxStack()->empty()) return CUDA_ERROR_INVALID_CONTEXT;
    if (c) *c = reinterpret_cast<CUcontext>(t_current);
    t_current = ctxStack()->back();
    ctxStack()->pop_back();
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxGetDevice(CUdevice* d) {
    LOCKED_READY();
    *d = 0;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxSynchronize() {
    LOCKED_READY();
    if (unsafeCallDuringCapture()) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    flushAll();
    return g_sticky;
}

// ---------------------------------------------------------------------------------------- memory
EMU_EXPORT CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
    LOCKED_READY();
    *total = deviceMemory();
    *free = *total - std::min(*total, g_deviceUsed);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t n) {
    LOCKED_READY();
    if (unsafeCallDuringCapture()) {
        report("cuMemAlloc during a stream capture");
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    uintptr_t u = 0;
    CUresult r = allocate(&u, n, false);
    if (r == CUDA_SUCCESS) *p = static_cast<CUdeviceptr>(u);
    return r;
}

EMU_EXPORT CUresult cuMemFree_v2(CUdeviceptr p) {
    LOCKED_READY();
    if (unsafeCallDuringCapture()) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    auto it = g_allocs.find(static_cast<uintptr_t>(p));
    if (it == g_allocs.end() || it->second.pinned) {
        report("cuMemFree(%#lx): not the start of a live device allocation", static_cast<unsigned long>(p));
        return CUDA_ERROR_INVALID_VALUE;
    }
    flushAll();  // the driver waits for the work that may use it
    if (!guardsIntact(it->first, it->second)) {
        report("cuMemFree: the guard bytes around the device allocation of %zu bytes at %#lx were overwritten",
               it->second.size, static_cast<unsigned long>(p));
        g_sticky = CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    release(it);
    return g_sticky;
}

EMU_EXPORT CUresult cuMemHostAlloc(void** p, size_t n, unsigned int flags) {
    LOCKED_READY();
    (void)flags;
    uintptr_t u = 0;
    CUresult r = allocate(&u, n, true);
    if (r == CUDA_SUCCESS) *p = reinterpret_cast<void*>(u);
    return r;
}

EMU_EXPORT CUresult cuMemAllocHost_v2(void** p, size_t n) { return cuMemHostAlloc(p, n, 0); }

EMU_EXPORT CUresult cuMemFreeHost(void* p) {
    LOCKED_READY();
    auto it = g_allocs.find(reinterpret_cast<uintptr_t>(p));
    if (it == g_allocs.end() || !it->second.pinned) {
        report("cuMemFreeHost(%p): not the start of a live page-locked allocation", p);
        return CUDA_ERROR_INVALID_VALUE;
    }
    flushAll();
    release(it);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void* s, size_t n) {
    return copySync(static_cast<uintptr_t>(d), reinterpret_cast<uintptr_t>(s), n, true, false, "cuMemcpyHtoD");
}
EMU_EXPORT CUresult cuMemcpyDtoH_v2(void* d, CUdeviceptr s, size_t n) {
    return copySync(reinterpret_cast<uintptr_t>(d), static_cast<uintptr_t>(s), n, false, true, "cuMemcpyDtoH");
}
EMU_EXPORT CUresult cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr s, size_t n) {
    return copySync(static_cast<uintptr_t>(d), static_cast<uintptr_t>(s), n, true, true, "cuMemcpyDtoD");
}
EMU_EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* s, size_t n, CUstream st) {
    return copyAsync(static_cast<uintptr_t>(d), reinterpret_cast<uintptr_t>(s), n, true, false, st, "cuMemcpyHtoDAsync");
}
EMU_EXPORT CUresult cuMemcpyDtoHAsync_v2(void* d, CUdeviceptr s, size_t n, CUstream st) {
    return copyAsync(reinterpret_cast<uintptr_t>(d), static_cast<uintptr_t>(s), n, false, true, st, "cuMemcpyDtoHAsync");
}
EMU_EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, CUstream st) {
    return copyAsync(static_cast<uintptr_t>(d), static_cast<uintptr_t>(s), n, true, true, st, "cuMemcpyDtoDAsync");
}

EMU_EXPORT CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { return memsetAsync(d, v, 1, n, nullptr, true, "cuMemsetD8"); }
EMU_EXPORT CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short v, size_t n) { return memsetAsync(d, v, 2, n, nullptr, true, "cuMemsetD16"); }
EMU_EXPORT CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned int v, size_t n) { return memsetAsync(d, v, 4, n, nullptr, true, "cuMemsetD32"); }
EMU_EXPORT CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, CUstream s) {
    return memsetAsync(d, v, 1, n, s, false, "cuMemsetD8Async");
}
EMU_EXPORT CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, CUstream s) {
    return memsetAsync(d, v, 2, n, s, false, "cuMemsetD16Async");
}
EMU_EXPORT CUresult cuMemsetD32Async(CUdeviceptr d, unsigned int v, size_t n, CUstream s) {
    return memsetAsync(d, v, 4, n, s, false, "cuMemsetD32Async");
}

// --------------------------------------------------------------------------------------- modules
EMU_EXPORT CUresult cuModuleLoadData(CUmodule* m, const void* image) {
    LOCKED_READY();
    if (!image) return CUDA_ERROR_INVALID_VALUE;
    auto mod = std::make_unique<Mod>();
    if (CUresult r = loadImage(mod.get(), image); r != CUDA_SUCCESS) return r;
    g_mods.insert(mod.get());
    *m = reinterpret_cast<CUmodule>(mod.release());
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuModuleLoadDataEx(CUmodule* m, const void* image, unsigned int, CUjit_option*, void**) {
    return cuModuleLoadData(m, image);
}

EMU_EXPORT CUresult cuModuleUnload(CUmodule m) {
    LOCKED_READY();
    Mod* mod = reinterpret_cast<Mod*>(m);
    if (!g_mods.count(mod)) return CUDA_ERROR_INVALID_HANDLE;
    flushAll();
    g_mods.erase(mod);
    delete mod;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuModuleGetFunction(CUfunction* f, CUmodule m, const char* name) {
    LOCKED_READY();
    Mod* mod = reinterpret_cast<Mod*>(m);
    if (!g_mods.count(mod)) return CUDA_ERROR_INVALID_HANDLE;
    auto it = mod->fns.find(name);
    if (it == mod->fns.end()) return CUDA_ERROR_NOT_FOUND;
    *f = reinterpret_cast<CUfunction>(&it->second);
    return CUDA_SUCCESS;
}

namespace {
Fn* liveFunction(CUfunction f) {
    Fn* fn = reinterpret_cast<Fn*>(f);
    for (Mod* m : g_mods)
        for (auto& [name, x] : m->fns)
            if (&x == fn) return fn;
    return nullptr;
}
}  // namespace

EMU_EXPORT CUresult cuFuncSetAttribute(CUfunction f, CUfunction_attribute a, int v) {
    LOCKED_READY();
    Fn* fn = liveFunction(f);
    if (!fn) return CUDA_ERROR_INVALID_HANDLE;
    if (a == CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT) return CUDA_SUCCESS;
    if (a != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES || v < 0 || v > kSmemOptin) return CUDA_ERROR_INVALID_VALUE;
    fn->maxDynamicSmem = v;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuFuncGetAttribute(int* v, CUfunction_attribute a, CUfunction f) {
    LOCKED_READY();
    Fn* fn = liveFunction(f);
    if (!fn) return CUDA_ERROR_INVALID_HANDLE;
    switch (a) {
        case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = 1024; break;
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: *v = fn->maxDynamicSmem; break;
        case CU_FUNC_ATTRIBUTE_PTX_VERSION: *v = 80; break;
        case CU_FUNC_ATTRIBUTE_BINARY_VERSION: *v = 90; break;
        default: *v = 0; break;
    }
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuFuncSetCacheConfig(CUfunction f, CUfunc_cache) {
    LOCKED_READY();
    return liveFunction(f) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

EMU_EXPORT CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                   unsigned smem, CUstream hs, void** params, void** extra) {
    LOCKED_READY();
    const Fn* fn = liveFunction(f);
    if (!fn) return CUDA_ERROR_INVALID_HANDLE;
    Stream* s = streamOf(hs);
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    const emu::Kernel& k = *fn->kernel;
    if (extra != nullptr) return CUDA_ERROR_NOT_SUPPORTED;
    if (gx == 0 || gy == 0 || gz == 0 || gx > 2147483647u || gy > 65535 || gz > 65535 || bx == 0 || by == 0 || bz == 0 ||
        bx > 1024 || by > 1024 || bz > 64 || static_cast<unsigned long>(bx) * by * bz > 1024) {
        report("cuLaunchKernel(%s): invalid grid %ux%ux%u or block %ux%ux%u", k.name, gx, gy, gz, bx, by, bz);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (static_cast<int>(smem) > fn->maxDynamicSmem) {
        report("cuLaunchKernel(%s): %u bytes of dynamic shared memory, the function allows %d (cuFuncSetAttribute raises it)", k.name,
               smem, fn->maxDynamicSmem);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (params == nullptr && k.params > 0) return CUDA_ERROR_INVALID_VALUE;
    Op op;
    op.kind = Op::KERNEL;
    op.fn = fn;
    op.grid = {gx, gy, gz};
    op.block = {bx, by, bz};
    op.smem = smem;
    op.args.resize(static_cast<size_t>(k.params));
    for (int i = 0; i < k.params; ++i) {
        unsigned long long v = 0;
        std::memcpy(&v, params[i], fn->paramSizes[static_cast<size_t>(i)]);
        op.args[static_cast<size_t>(i)] = v;
        if (k.paramIsPointer[i] && v != 0 && !holding(static_cast<uintptr_t>(v), 0, false)) {
            report("cuLaunchKernel(%s): parameter %d (%#llx) does not point into a live device allocation", k.name, i, v);
            return CUDA_ERROR_INVALID_VALUE;
        }
    }
    return enqueue(s, std::move(op));
}

// --------------------------------------------------------------------------------------- streams
EMU_EXPORT CUresult cuStreamCreate(CUstream* hs, unsigned int flags) {
    LOCKED_READY();
    if (flags & ~static_cast<unsigned>(CU_STREAM_NON_BLOCKING)) return CUDA_ERROR_INVALID_VALUE;
    Stream* s = new Stream();
    s->flags = flags;
    g_streams.insert(s);
    *hs = reinterpret_cast<CUstream>(s);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamCreateWithPriority(CUstream* hs, unsigned int flags, int) { return cuStreamCreate(hs, flags); }

EMU_EXPORT CUresult cuStreamDestroy_v2(CUstream hs) {
    LOCKED_READY();
    Stream* s = streamOf(hs);
    if (!s || s == &g_legacy) return CUDA_ERROR_INVALID_HANDLE;
    if (s->capture) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    flush(s);  // queued work still completes
    g_streams.erase(s);
    delete s;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamGetFlags(CUstream hs, unsigned int* flags) {
    LOCKED_READY();
    Stream* s = streamOf(hs);
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    *flags = s->flags;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamSynchronize(CUstream hs) {
    LOCKED_READY();
    Stream* s = streamOf(hs);
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    if (s->capture) {
        report("cuStreamSynchronize on a stream being captured invalidates the capture");
        s->captureInvalid = true;
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    if (s == &g_legacy) flushBlocking();
    flush(s);
    return g_sticky;
}

EMU_EXPORT CUresult cuStreamQuery(CUstream hs) {
    LOCKED_READY();
    Stream* s = streamOf(hs);
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    if (s->capture) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    flush(s);  // the emulator makes progress only when asked: a query that polls completes the work
    return g_sticky;
}

EMU_EXPORT CUresult cuStreamBeginCapture_v2(CUstream hs, CUstreamCaptureMode mode) {
    LOCKED_READY();
    Stream* s = streamOf(hs);
    if (!s || s == &g_legacy) return s ? CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED : CUDA_ERROR_INVALID_HANDLE;
    if (s->capture) return CUDA_ERROR_ILLEGAL_STATE;
    // Work queued before the capture is not part of the graph: it runs before the replay can.
    flush(s);
    s->capture = new Graph();
    s->captureInvalid = false;
    s->mode = mode;
    s->captureThread = std::this_thread::get_id();
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamEndCapture(CUstream hs, CUgraph* g) {
    LOCKED_READY();
    Stream* s = streamOf(hs);
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    if (!s->capture) return CUDA_ERROR_ILLEGAL_STATE;
    if (s->mode != CU_STREAM_CAPTURE_MODE_RELAXED && s->captureThread != std::this_thread::get_id())
        return CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD;
    Graph* graph = s->capture;
    s->capture = nullptr;
    if (s->captureInvalid) {
        delete graph;
        *g = nullptr;
        return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }
    g_graphs.insert(graph);
    *g = reinterpret_cast<CUgraph>(graph);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamIsCapturing(CUstream hs, CUstreamCaptureStatus* status) {
    LOCKED_READY();
    Stream* s = streamOf(hs);
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    *status = !s->capture ? CU_STREAM_CAPTURE_STATUS_NONE
                          : s->captureInvalid ? CU_STREAM_CAPTURE_STATUS_INVALIDATED : CU_STREAM_CAPTURE_STATUS_ACTIVE;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamWaitEvent(CUstream hs, CUevent e, unsigned int) {
    LOCKED_READY();
    Stream* s = streamOf(hs);
    Event* ev = reinterpret_cast<Event*>(e);
    if (!s || !g_events.count(ev)) return CUDA_ERROR_INVALID_HANDLE;
    Op op;
    op.kind = Op::WAIT;
    op.event = ev;
    return enqueue(s, std::move(op));
}

// ---------------------------------------------------------------------------------------- graphs
EMU_EXPORT CUresult cuGraphInstantiateWithFlags(CUgraphExec* exec, CUgraph g, unsigned long long) {
    LOCKED_READY();
    Graph* graph = reinterpret_cast<Graph*>(g);
    if (!g_graphs.count(graph)) return CUDA_ERROR_INVALID_HANDLE;
    Graph* x = new Graph(*graph);
    g_execs.insert(x);
    *exec = reinterpret_cast<CUgraphExec>(x);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuGraphDestroy(CUgraph g) {
    LOCKED_READY();
    Graph* graph = reinterpret_cast<Graph*>(g);
    if (!g_graphs.erase(graph)) return CUDA_ERROR_INVALID_HANDLE;
    delete graph;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuGraphLaunch(CUgraphExec e, CUstream hs) {
    LOCKED_READY();
    Graph* x = reinterpret_cast<Graph*>(e);
    Stream* s = streamOf(hs);
    if (!g_execs.count(x) || !s) return CUDA_ERROR_INVALID_HANDLE;
    if (s->capture) return CUDA_ERROR_NOT_SUPPORTED;
    for (const Op& op : x->ops) {
        // The captured addresses must still be live: a graph over freed buffers is a host bug.
        if (op.kind == Op::KERNEL) {
            const emu::Kernel& k = *op.fn->kernel;
            for (int i = 0; i < k.params; ++i)
                if (k.paramIsPointer[i] && op.args[static_cast<size_t>(i)] != 0 &&
                    !holding(static_cast<uintptr_t>(op.args[static_cast<size_t>(i)]), 0, false)) {
                    report("cuGraphLaunch: the graph's kernel %s has parameter %d pointing at freed memory (%#llx)", k.name, i,
                           op.args[static_cast<size_t>(i)]);
                    return CUDA_ERROR_INVALID_VALUE;
                }
        }
        if (CUresult r = enqueue(s, op); r != CUDA_SUCCESS) return r;
    }
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuGraphExecDestroy(CUgraphExec e) {
    LOCKED_READY();
    Graph* x = reinterpret_cast<Graph*>(e);
    if (!g_execs.erase(x)) return CUDA_ERROR_INVALID_HANDLE;
    delete x;
    return CUDA_SUCCESS;
}

// ---------------------------------------------------------------------------------------- events
EMU_EXPORT CUresult cuEventCreate(CUevent* e, unsigned int) {
    LOCKED_READY();
    Event* ev = new Event();
    g_events.insert(ev);
    *e = reinterpret_cast<CUevent>(ev);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuEventDestroy_v2(CUevent e) {
    LOCKED_READY();
    Event* ev = reinterpret_cast<Event*>(e);
    if (!g_events.erase(ev)) return CUDA_ERROR_INVALID_HANDLE;
    delete ev;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuEventRecord(CUevent e, CUstream hs) {
    LOCKED_READY();
    Event* ev = reinterpret_cast<Event*>(e);
    Stream* s = streamOf(hs);
    if (!g_events.count(ev) || !s) return CUDA_ERROR_INVALID_HANDLE;
    ev->done = false;
    ev->stream = s;
    Op op;
    op.kind = Op::RECORD;
    op.event = ev;
    return enqueue(s, std::move(op));
}

EMU_EXPORT CUresult cuEventRecordWithFlags(CUevent e, CUstream hs, unsigned int) { return cuEventRecord(e, hs); }

EMU_EXPORT CUresult cuEventSynchronize(CUevent e) {
    LOCKED_READY();
    Event* ev = reinterpret_cast<Event*>(e);
    if (!g_events.count(ev)) return CUDA_ERROR_INVALID_HANDLE;
    if (!ev->done && ev->stream) flush(ev->stream);
    return g_sticky;
}

EMU_EXPORT CUresult cuEventQuery(CUevent e) { return cuEventSynchronize(e); }

#undef cuEventElapsedTime
EMU_EXPORT CUresult cuEventElapsedTime(float* ms, CUevent a, CUevent b) {
    LOCKED_READY();
    Event* x = reinterpret_cast<Event*>(a);
    Event* y = reinterpret_cast<Event*>(b);
    if (!g_events.count(x) || !g_events.count(y)) return CUDA_ERROR_INVALID_HANDLE;
    if (!x->done || !y->done) return CUDA_ERROR_NOT_READY;
    *ms = static_cast<float>(y->ms - x->ms);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuEventElapsedTime_v2(float* ms, CUevent a, CUevent b) { return cuEventElapsedTime(ms, a, b); }
