#!/usr/bin/env bash
# Issue 2's CPU figures with their peer ratios, measured in one run:
#   bash bench/run_core.sh            # builds core_bench (Release) and, when PyTorch is
#                                     # installed (pip install torch), the libtorch peer
# Prints a Markdown table ready for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || bash tools/configure.sh >/dev/null
cmake --build build -j"$(nproc)" --target core_bench >/dev/null
out=$(mktemp -d)
./build/bench/core_bench > "$out/tf.txt"

torch_dir=$(python3 -c "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('torch').origin))" 2>/dev/null || true)
if [ -n "$torch_dir" ]; then
  # libtorch's CPU libraries only; -D_GLIBCXX_USE_CXX11_ABI=1 as PyPI's torch is built.
  g++ -O2 -std=c++20 bench/libtorch_peer.cpp -o "$out/libtorch_peer" \
      -I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include" \
      -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -Wl,--no-as-needed -ltorch_cpu -lc10 2>"$out/peer_build.log" \
    && OMP_NUM_THREADS=$(nproc) "$out/libtorch_peer" > "$out/torch.txt" || echo "(libtorch peer failed to build/run: $out/peer_build.log)" >&2
else
  echo "(PyTorch not installed: pip install torch for the libtorch peer)" >&2
fi

val() { awk -v k="$1" '$1 == k { print $2 }' "$out"/*.txt; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
tiny=$(val tiny_add_tapeflow); ltiny=$(val tiny_add_libtorch)
mm=$(val matmul_tapeflow); blas=$(val matmul_cblas)
add=$(val add_16m_tapeflow); copy=$(val copy_bandwidth)
echo "| figure | Tapeflow | peer | ratio |"
echo "| --- | --- | --- | --- |"
if [ -n "$ltiny" ]; then
  echo "| tiny add (16 float32), host time per op | $(printf %.0f "$tiny") ns | libtorch $(printf %.0f "$ltiny") ns | libtorch/Tapeflow = $(ratio "$ltiny" "$tiny")x |"
else
  echo "| tiny add (16 float32), host time per op | $(printf %.0f "$tiny") ns | libtorch not measured | |"
fi
echo "| matmul 1024^3 float32 | $(printf %.1f "$mm") GFLOP/s | cblas_sgemm $(printf %.1f "$blas") GFLOP/s | $(python3 -c "print(f'{100*$mm/$blas:.0f}%')") |"
echo "| add 2x16M float32 (read+write) | $(printf %.1f "$add") GB/s | memcpy $(printf %.1f "$copy") GB/s | $(python3 -c "print(f'{100*$add/$copy:.0f}%')") |"
