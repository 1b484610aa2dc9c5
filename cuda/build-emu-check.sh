#!/usr/bin/env bash
# Runs the kernel checker without a GPU: the kernels of src/main/cuda are compiled as host C++
# (src/test/native/emu/cuda_emu.h), a thread block runs as cooperative fibers, and the checker
# (src/test/native/kernel_check.cu, built with -DCHELSEA_EMU) is linked with the host emulator's
# CUDA driver (emu/emu_driver.cpp, the same one build-emu-driver.sh makes into a fake libcuda for
# the Java backend). Same checks, same launch rules and references as on a GPU, on the small shapes
# (--small). It proves the kernels' indexing, block decoding, barriers and arithmetic, under
# AddressSanitizer (reads past a buffer) and UBSan; it cannot prove what only a GPU shows (the
# PTX JIT, the memory model, timing).
#
# Kernel names come from the shipped PTX, which must match the sources (run build-kernels.sh).
# Usage: cuda/build-emu-check.sh [checker args]   (default --small)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/src/main/cuda"
emu="$here/src/test/native/emu"
ptx="$here/src/main/resources/dev/chelsea/cuda/chelsea-kernels.ptx"
cuda_inc="${CUDA_HOME:-/usr/local/cuda}/include"
if [[ ! -f "$cuda_inc/cuda.h" || ! -f "$cuda_inc/cuda_fp16.h" ]]; then
    echo "build-emu-check: the CUDA headers (cuda.h, cuda_fp16.h) are not in $cuda_inc; set CUDA_HOME" >&2
    exit 1
fi

out="$here/target/emu"
mkdir -p "$out"
bash "$emu/gen-kernels-host.sh" "$src" "$ptx" "$out/kernels_host.cpp"

flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
       -Wno-attributes -I "$cuda_inc" -I "$src" -I "$emu")
g++ "${flags[@]}" -include "$emu/cuda_emu.h" -c "$out/kernels_host.cpp" -o "$out/kernels_host.o"
g++ "${flags[@]}" -c "$emu/emu_runtime.cpp" -o "$out/emu_runtime.o"
g++ "${flags[@]}" -c "$emu/emu_driver.cpp" -o "$out/emu_driver.o"
g++ "${flags[@]}" -DCHELSEA_EMU -x c++ -c "$here/src/test/native/kernel_check.cu" -o "$out/kernel_check.o"
g++ -fsanitize=address,undefined -pthread -rdynamic -o "$here/target/kernel_check_emu" "$out/"*.o -ldl
echo "build-emu-check: built ${here#"$(pwd)/"}/target/kernel_check_emu"
[[ $# -eq 0 ]] && set -- --small
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
exec "$here/target/kernel_check_emu" "$@" "$here/src/main/resources/dev/chelsea/cuda"
