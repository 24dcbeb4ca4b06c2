#!/usr/bin/env bash
# Issue 4's backward-pass overhead figures, Tapeflow and libtorch autograd measured in one run:
#   bash bench/run_autograd_overhead.sh [--iters N]   # builds autograd_overhead (Release) and,
#                                                      # when PyTorch is installed, the libtorch peer
# Definitions: ./build/bench/autograd_overhead --help. Prints a Markdown table for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || bash tools/configure.sh >/dev/null
cmake --build build -j"$(nproc)" --target autograd_overhead >/dev/null
out=$(mktemp -d)
# Kernels run on one thread in both frameworks: the figure is host time, and on a shared VM
# thread hand-offs inside BLAS would add noise larger than the effect measured.
threads=1

torch_dir=$(python3 -c "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('torch').origin))" 2>/dev/null || true)
peer=""
if [ -n "$torch_dir" ]; then
  # libtorch's CPU libraries only; -D_GLIBCXX_USE_CXX11_ABI=1 as PyPI's torch is built.
  g++ -O2 -std=c++20 bench/autograd_overhead_libtorch.cpp -o "$out/autograd_overhead_libtorch" \
      -I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include" \
      -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -Wl,--no-as-needed -ltorch_cpu -lc10 2>"$out/peer_build.log" \
    && peer="$out/autograd_overhead_libtorch" || echo "(libtorch peer failed to build: $out/peer_build.log)" >&2
else
  echo "(PyTorch not installed: pip install torch for the libtorch peer)" >&2
fi

export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
./build/bench/autograd_overhead "$@" > "$out/tf.txt"
if [ -n "$peer" ]; then "$peer" "$@" > "$out/torch.txt" || echo "(libtorch peer failed to run)" >&2; fi

val() { awk -v k="$1" '$1 == k { print $2 }' "$out"/*.txt; }
ns() { local v; v=$(val "$1"); if [ -n "$v" ]; then printf "%.0f ns" "$v"; else echo "n/a"; fi; }
us() { local v; v=$(val "$1"); if [ -n "$v" ]; then python3 -c "print(f'{$v / 1000:.1f} µs')"; else echo "n/a"; fi; }
echo "| figure | Tapeflow | libtorch |"
echo "| --- | --- | --- |"
echo "| (a) MLP 32x784-100-10: backward (tape.gradient / loss.backward), median | $(us mlp_backward_tapeflow) | $(us mlp_backward_libtorch) |"
echo "| (a) MLP: the same backward kernels called eagerly (replay), median | $(us mlp_replay_tapeflow) | $(us mlp_replay_libtorch) |"
echo "| (a) MLP: overhead per recorded op, median of (backward - replay) / 7 | $(ns mlp_overhead_per_op_tapeflow) | $(ns mlp_overhead_per_op_libtorch) |"
echo "| (a) MLP: overhead per recorded op, (min backward - min replay) / 7 | $(ns mlp_overhead_per_op_min_tapeflow) | $(ns mlp_overhead_per_op_min_libtorch) |"
echo "| (b) 256 Neg on 16 floats: backward per recorded op | $(ns chain_backward_per_op_tapeflow) | $(ns chain_backward_per_op_libtorch) |"
echo "| (b) chain: replay per recorded op | $(ns chain_replay_per_op_tapeflow) | $(ns chain_replay_per_op_libtorch) |"
echo "| (b) chain: overhead per recorded op, median of (backward - replay) / 257 | $(ns chain_overhead_per_op_tapeflow) | $(ns chain_overhead_per_op_libtorch) |"
echo "| (b) chain: overhead per recorded op, (min backward - min replay) / 257 | $(ns chain_overhead_per_op_min_tapeflow) | $(ns chain_overhead_per_op_min_libtorch) |"
