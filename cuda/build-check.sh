#!/usr/bin/env bash
# Builds the standalone kernel checker (src/test/native/kernel_check.cu) into target/kernel_check
# and runs it on the shipped PTX and cubin (src/main/resources/dev/chelsea/cuda/).
#
# The checker is host code only (compiled as C++ by nvcc, no CUDA runtime) and opens libcuda.so.1
# with dlopen instead of linking -lcuda: it builds where neither a driver nor the stub library
# exists, and tells "no device" apart from a failure. It needs glibc 2.34 and the libstdc++ of
# GCC 12 or newer where it runs; else build it there (the GPU image has nvcc). Exit status: the
# checker's (0 all passed, 1 a check failed, 2 no CUDA device); the build's on a build error.
#
# Usage: cuda/build-check.sh [--build-only] [checker args: --quick, RESOURCE_DIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
run=1
if [[ "${1:-}" == "--build-only" ]]; then
    run=0
    shift
fi
nvcc="$(command -v nvcc || true)"
[[ -z "$nvcc" && -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ]] && nvcc="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
if [[ -z "$nvcc" ]]; then
    echo "build-check: nvcc not found (PATH or \$CUDA_HOME/bin)" >&2
    exit 1
fi

mkdir -p "$here/target"
"$nvcc" -x c++ -O2 -std=c++17 -o "$here/target/kernel_check" "$here/src/test/native/kernel_check.cu" \
    -cudart none -ldl -Xcompiler -pthread,-Wall,-Wextra
echo "build-check: built ${here#"$(pwd)/"}/target/kernel_check"
if [[ $run == 1 ]]; then
    exec "$here/target/kernel_check" "$@"
fi
