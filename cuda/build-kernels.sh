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
# When the checked-in PTX already carries the sources' hash and the cubin exists, nothing is
# rebuilt (the Maven build calls this script on every build where nvcc exists; ptxas does not
# always write the same cubin twice, so rebuilding would change a tracked file for nothing).
#
# Usage: cuda/build-kernels.sh [--verbose] [--force]   (--verbose prints ptxas's register and
# spill report; --force rebuilds even when the files are up to date)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/src/main/cuda"
out="$here/src/main/resources/dev/chelsea/cuda"
verbose=0
force=0
for arg in "$@"; do
    case "$arg" in
        --verbose) verbose=1 ;;
        --force) force=1 ;;
        *) echo "build-kernels: unknown option $arg" >&2; exit 2 ;;
    esac
done

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
if [[ $force == 0 && $verbose == 0 && -f "$out/chelsea-kernels.sm_90.cubin" ]] \
        && [[ "$(head -n 1 "$out/chelsea-kernels.ptx" 2>/dev/null)" == "// chelsea-sources-sha256: $sha" ]]; then
    echo "build-kernels: up to date (sources sha256 $sha)"
    exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for u in "${units[@]}"; do echo "#include \"$u\""; done > "$tmp/chelsea-kernels.cu"

# Relative file names from here on: ptxas records its input's path in the cubin.
cd "$tmp"
"$nvcc" -arch=compute_80 -ptx -O3 -std=c++17 -I "$src" chelsea-kernels.cu -o nvcc.ptx

version="$(grep -m1 '^\.version ' nvcc.ptx | cut -d' ' -f2)"
case "$version" in
    8.0|9.0) ;;
    *) echo "build-kernels: unexpected PTX version '$version' from $nvcc" >&2; exit 1 ;;
esac
grep -q '^\.target sm_80$' nvcc.ptx || { echo "build-kernels: PTX target is not sm_80" >&2; exit 1; }
{
    echo "// chelsea-sources-sha256: $sha"
    sed -e 's/^\.version 9\.0$/.version 8.0/' nvcc.ptx
} > chelsea-kernels.ptx
grep -q '^\.version 8\.0$' chelsea-kernels.ptx

flags=()
[[ $verbose == 1 ]] && flags=(-v)
"$ptxas" -arch=sm_80 -O3 "${flags[@]}" chelsea-kernels.ptx -o sm_80.cubin
"$ptxas" -arch=sm_90 -O3 "${flags[@]}" chelsea-kernels.ptx -o chelsea-kernels.sm_90.cubin

mkdir -p "$out"
cp chelsea-kernels.ptx chelsea-kernels.sm_90.cubin "$out/"
kernels="$(grep -c '^\.visible \.entry ' "$out/chelsea-kernels.ptx")"
echo "build-kernels: $kernels kernels, sources sha256 $sha"
echo "  $(wc -c < "$out/chelsea-kernels.ptx") bytes  ${out#"$here/"}/chelsea-kernels.ptx"
echo "  $(wc -c < "$out/chelsea-kernels.sm_90.cubin") bytes  ${out#"$here/"}/chelsea-kernels.sm_90.cubin"
