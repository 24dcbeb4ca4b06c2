#!/usr/bin/env bash
# Prepares a GPU check on a build machine (no GPU needed): builds a Release tree for sm_90
# (build-gpu/), packs what the GPU machine needs into gpu_pack/tapeflow_gpu.tar.xz (git-ignored,
# under 64 MiB) and prints the one command to run there. The pack holds the stripped GPU test
# binary, the examples, bench/cpu_vs_gpu and the MLP/CNN epoch benchmarks with their PyTorch
# peers, libtapeflow.so, the shared libraries they need that the GPU machine lacks (never the
# CUDA libraries: cuBLAS and cuDNN are installed there; GPU.md) and tools/gpu_run.sh, which runs
# it all there and writes logs and results.md into $OUT; the Fashion-MNIST files go beside it
# in gpu_pack/data/.
#   bash tools/gpu_check.sh             # build, pack, print the command
#   bash tools/gpu_check.sh --rehearse  # also run the pack here: the GPU parts skip and say so
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rehearse=0
[ "${1:-}" = "--rehearse" ] && rehearse=1
bash tools/install_deps.sh
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH; fi

# 1. Build: Release, CUDA on, sm_90 (H100/H200), cuDNN required (the GPU path under test uses it).
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DTAPEFLOW_CUDA=ON -DTAPEFLOW_CUDNN=ON -DTAPEFLOW_WERROR="${TAPEFLOW_WERROR:-OFF}" \
  -DCMAKE_CUDA_ARCHITECTURES=90 "${launcher[@]}" >/dev/null
examples=(tensors device_placement autograd linear_regression fashion_mnist_mlp fashion_mnist_cnn)
benches=(cpu_vs_gpu mlp_epoch cnn_epoch function_overhead)
cmake --build build-gpu -j"$(nproc)" --target tapeflow tapeflow_gpu_tests "${examples[@]}" "${benches[@]}"

# 2. Pack.
pack=gpu_pack/tapeflow_gpu
rm -rf gpu_pack && mkdir -p "$pack"/{bin,lib,tools,bench,examples,data}
bins=(build-gpu/tests/tapeflow_gpu_tests)
for e in "${examples[@]}"; do bins+=("build-gpu/examples/$e"); done
for b in "${benches[@]}"; do bins+=("build-gpu/bench/$b"); done
for b in "${bins[@]}"; do strip -o "$pack/bin/$(basename "$b")" "$b"; done
strip -o "$pack/lib/libtapeflow.so" build-gpu/tapeflow/libtapeflow.so
# Shared libraries: what ldd resolves, minus the base system, the CUDA libraries and what GPU.md
# lists as installed on the GPU machine (OpenBLAS, fmt 9, protobuf 32, zlib, libgomp).
on_gpu_machine='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|librt\.|libpthread\.|libstdc\+\+|libgcc_s|libcuda\.|libcudart|libcublas|libcublasLt|libcudnn|libnvrtc|libnvJitLink|libopenblas|libgfortran|libquadmath|libfmt\.so\.9|libprotobuf\.so\.32|libz\.so|libgomp)'
packed_libs=()
for lib in $(ldd "${bins[@]}" build-gpu/tapeflow/libtapeflow.so 2>/dev/null | awk '/=> \// { print $1 " " $3 }' | sort -u | awk '{print $1 ":" $2}'); do
  name=${lib%%:*}; path=${lib#*:}
  [[ "$name" =~ $on_gpu_machine || "$name" == libtapeflow.so ]] && continue
  cp -L "$path" "$pack/lib/$name" && strip "$pack/lib/$name" 2>/dev/null || true
  packed_libs+=("$name")
done
cp tools/gpu_run.sh "$pack/tools/"
cp bench/mlp_epoch_torch.py bench/cnn_epoch_torch.py "$pack/bench/"
cp examples/tensors.expected "$pack/examples/"
data_dir=/usr/share/datasets/fashion-mnist  # installed by tools/install_deps.sh (dataset-fashion-mnist)
if ls "$data_dir"/*-ubyte.gz >/dev/null 2>&1; then cp "$data_dir"/*-ubyte.gz "$pack/data/"
else echo "gpu_check.sh: Fashion-MNIST is not installed: the examples will say so and the benches use noise" >&2; fi
git -C "$root" rev-parse --short HEAD > "$pack/COMMIT" 2>/dev/null || echo unknown > "$pack/COMMIT"
# The .gz data files do not compress further: they travel beside the archive, not through xz.
mv "$pack/data" gpu_pack/data
tar -C gpu_pack -cf - tapeflow_gpu | xz -T0 -6 > gpu_pack/tapeflow_gpu.tar.xz
rm -rf "$pack"
size=$(du -cb gpu_pack/tapeflow_gpu.tar.xz gpu_pack/data | tail -n 1 | cut -f1)
echo "packed gpu_pack/ (tapeflow_gpu.tar.xz and data/): $((size / 1048576)) MiB (limit 64); extra libraries: ${packed_libs[*]:-none}"
[ "$size" -lt $((64 << 20)) ] || { echo "gpu_check.sh: the pack is over 64 MiB" >&2; exit 1; }

cmd='mkdir -p /tmp/tf && tar -C /tmp/tf -xJf gpu_pack/tapeflow_gpu.tar.xz && TAPEFLOW_DATA=$PWD/gpu_pack/data bash /tmp/tf/tapeflow_gpu/tools/gpu_run.sh "$OUT"'
echo
echo "On the GPU machine (carry gpu_pack; about 8 minutes; logs and results.md land in \$OUT):"
echo "  $cmd"
if [ "$rehearse" = 1 ]; then
  echo
  echo "Rehearsal here (no GPU: the GPU parts skip and say so):"
  rm -rf /tmp/tf_rehearsal && mkdir -p /tmp/tf_rehearsal/out
  tar -C /tmp/tf_rehearsal -xJf gpu_pack/tapeflow_gpu.tar.xz
  TAPEFLOW_DATA=$PWD/gpu_pack/data bash /tmp/tf_rehearsal/tapeflow_gpu/tools/gpu_run.sh /tmp/tf_rehearsal/out
fi
