#!/usr/bin/env bash
# Compiles cuda/src/main/cuda/*.cu into the checked-in kernel files:
#   src/main/resources/dev/chelsea/cuda/chelsea-kernels.ptx        PTX .version 8.0, .target sm_80
#   src/main/resources/dev/chelsea/cuda/chelsea-kernels.sm_90.cubin  from that PTX, by ptxas
#
# Choices:
# - One translation unit (a generated file that includes every .cu in sorted order), so one PTX.
# - -arch=compute_80 -O3, and no --use_fast_math: the kernels ask for the fast exp (__expf) where
#   its error is harmless (softmax) and keep IEEE division, sqrt and expf elsewhere (RMS norm,
#   SiLU, the activation quantizer that the checker repeats bit for bit).
# - nvcc 13 writes .version 9.0, which only 580-series drivers JIT-compile; the kernels use nothing
#   newer than PTX 8.0 (dp4a, WMMA TF32, 16-bit floats: all PTX 7.0 and sm_80), so the header is set
#   to 8.0, which 535+ drivers (CUDA 12.2+) and the nvPTXCompiler in JCuda 12.6 accept. ptxas then
#   assembles the rewritten file for sm_80 and sm_90: a construct that needs PTX 9.0 fails there.
# - The first line records the SHA-256 of the sources (every *.cu and *.cuh here, concatenated in
#   byte order of their names), so that a test can see that the PTX matches them. Nothing in the
#   output depends on the time or on paths: two runs write identical files.
#
# Usage: cuda/build-kernels.sh [--verbose]   (--verbose prints ptxas's register and spill report)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/src/main/cuda"
out="$here/src/main/resources/dev/chelsea/cuda"
verbose=0
[[ "${1:-}" == "--verbose" ]] && verbose=1

cuda_bin="${CUDA_HOME:-/usr/local/cuda}/bin"
nvcc="$(command -v nvcc || true)"
[[ -z "$nvcc" && -x "$cuda_bin/nvcc" ]] && nvcc="$cuda_bin/nvcc"
ptxas="$(command -v ptxas || true)"
[[ -z "$ptxas" && -x "$cuda_bin/ptxas" ]] && ptxas="$cuda_bin/ptxas"
if [[ -z "$nvcc" || -z "$ptxas" ]]; then
    echo "build-kernels: nvcc/ptxas not found (PATH or \$CUDA_HOME/bin); the checked-in PTX is unchanged" >&2
    exit 1
fi

cd "$src"
mapfile -t sources < <(LC_ALL=C ls -1 -- *.cu *.cuh | LC_ALL=C sort)
mapfile -t units < <(LC_ALL=C ls -1 -- *.cu | LC_ALL=C sort)
sha="$(cat -- "${sources[@]}" | sha256sum | cut -d' ' -f1)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for u in "${units[@]}"; do echo "#include \"$u\""; done > "$tmp/chelsea-kernels.cu"

"$nvcc" -arch=compute_80 -ptx -O3 -std=c++17 -I "$src" "$tmp/chelsea-kernels.cu" -o "$tmp/nvcc.ptx"

version="$(grep -m1 '^\.version ' "$tmp/nvcc.ptx" | cut -d' ' -f2)"
case "$version" in
    8.0|9.0) ;;
    *) echo "build-kernels: unexpected PTX version '$version' from $nvcc" >&2; exit 1 ;;
esac
grep -q '^\.target sm_80$' "$tmp/nvcc.ptx" || { echo "build-kernels: PTX target is not sm_80" >&2; exit 1; }
{
    echo "// chelsea-sources-sha256: $sha"
    sed -e 's/^\.version 9\.0$/.version 8.0/' "$tmp/nvcc.ptx"
} > "$tmp/chelsea-kernels.ptx"
grep -q '^\.version 8\.0$' "$tmp/chelsea-kernels.ptx"

flags=()
[[ $verbose == 1 ]] && flags=(-v)
"$ptxas" -arch=sm_80 -O3 "${flags[@]}" "$tmp/chelsea-kernels.ptx" -o "$tmp/sm_80.cubin"
"$ptxas" -arch=sm_90 -O3 "${flags[@]}" "$tmp/chelsea-kernels.ptx" -o "$tmp/chelsea-kernels.sm_90.cubin"

mkdir -p "$out"
cp "$tmp/chelsea-kernels.ptx" "$tmp/chelsea-kernels.sm_90.cubin" "$out/"
kernels="$(grep -c '^\.visible \.entry ' "$out/chelsea-kernels.ptx")"
echo "build-kernels: $kernels kernels, sources sha256 $sha"
echo "  $(wc -c < "$out/chelsea-kernels.ptx") bytes  ${out#"$here/"}/chelsea-kernels.ptx"
echo "  $(wc -c < "$out/chelsea-kernels.sm_90.cubin") bytes  ${out#"$here/"}/chelsea-kernels.sm_90.cubin"
