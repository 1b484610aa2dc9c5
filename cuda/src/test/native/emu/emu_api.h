// The host emulator's interface between the kernels compiled as C++ (kernels_host.cpp, with
// cuda_emu.h) and the fake driver that the checker uses in place of libcuda (emu_driver.h).
#pragma once

#include <cstddef>

namespace emu {

struct Dim3 {
    unsigned x = 1, y = 1, z = 1;
};

// A kernel compiled for the host: invoke() unpacks cuLaunchKernel's argument array and calls it.
struct Kernel {
    const char* name;
    void (*invoke)(void** args);
};

// Every kernel of the unity build (generated registry), and their number.
extern const Kernel kRegistry[];
extern const size_t kRegistrySize;

// Runs the grid block after block; the threads of a block are cooperative fibers that switch at
// __syncthreads, __syncwarp and warp shuffles. Reports misuse (divergent barriers, shuffles with
// exited lanes, misaligned loads) on stderr and aborts.
void launch(const Kernel& k, Dim3 grid, Dim3 block, size_t dynamicSmem, void** args);

}  // namespace emu
