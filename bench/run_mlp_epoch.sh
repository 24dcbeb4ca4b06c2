#!/usr/bin/env bash
# One epoch of the Fashion-MNIST MLP (784-100-10, Adam, sparse softmax cross-entropy) at batch
# 32 and 256 in Tapeflow, PyTorch eager and libtorch, measured in one run, then each step as one
# compiled function: Tapeflow's tf::function against jax.jit, torch.compile and TF's tf.function:
#   bash bench/run_mlp_epoch.sh [epochs]   # builds bench/mlp_epoch (Release) and, when PyTorch is
#                                          # installed (pip install torch), the libtorch peer
# The compiled peers run where their framework imports: jax and torch.compile with $PYTHON
# (default python3; pip install jax torch), tf.function with $TF_PYTHON (default: the interop
# venv build/python-venv that tools/python_env.sh creates, else $PYTHON).
# CPU:0 always, GPU:0 too where a GPU is present. Every side uses OMP_NUM_THREADS threads
# (default: the core count). Prints a Markdown table ready for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-5}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
[ -d build ] || bash tools/configure.sh >/dev/null
cmake --build build -j"$(nproc)" --target mlp_epoch >/dev/null
out=$(mktemp -d)

torch_dir=$(python3 -c "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('torch').origin))" 2>/dev/null || true)
peer=build/bench/mlp_epoch_libtorch
if [ -n "$torch_dir" ] && { [ ! -x "$peer" ] || [ bench/mlp_epoch_libtorch.cpp -nt "$peer" ]; }; then
  # -D_GLIBCXX_USE_CXX11_ABI=1 as PyPI's torch is built; libtorch_cuda when the wheel has it.
  flags=(-O2 -std=c++20 bench/mlp_epoch_libtorch.cpp -o "$peer" -I"$torch_dir/include"
         -I"$torch_dir/include/torch/csrc/api/include" -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -Wl,--no-as-needed)
  echo "building the libtorch peer (a minute or two)..." >&2
  if ! { [ -e "$torch_dir/lib/libtorch_cuda.so" ] && g++ "${flags[@]}" -ltorch_cuda -lc10_cuda -ltorch_cpu -lc10 2>"$out/peer_build.log"; }; then
    g++ "${flags[@]}" -ltorch_cpu -lc10 2>"$out/peer_build.log" || echo "(libtorch peer failed to build: $out/peer_build.log)" >&2
  fi
fi

# The three sides one after another, each timing the median of $epochs epochs after a warm-up.
./build/bench/mlp_epoch --epochs "$epochs" > "$out/tapeflow.txt"
python=${PYTHON:-python3}
tf_python=${TF_PYTHON:-build/python-venv/bin/python}
[ -x "$tf_python" ] || tf_python=$python
for side in jax:$python torch:$python tf:$tf_python; do
  (cd bench && "${side#*:}" mlp_epoch_compiled.py --side "${side%%:*}" --epochs "$epochs" > "$out/compiled_${side%%:*}.txt" 2>"$out/compiled_${side%%:*}.log") ||
    echo "(the ${side%%:*} compiled peer did not run: $out/compiled_${side%%:*}.log)" >&2
done
if [ -n "$torch_dir" ]; then
  python3 bench/mlp_epoch_torch.py --epochs "$epochs" > "$out/pytorch.txt" || echo "(PyTorch peer failed)" >&2
  [ -x "$peer" ] && { "$peer" "$epochs" "$OMP_NUM_THREADS" > "$out/libtorch.txt" || echo "(libtorch peer failed)" >&2; }
else
  echo "(PyTorch not installed: pip install torch for the PyTorch and libtorch peers)" >&2
fi

val() { awk -v s="$1" -v d="$2" -v b="$3" '$1 == "mlp_epoch" && $2 == s && $3 == d && $4 == b { print $5 }' "$out"/*.txt; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && python3 -c "print(f'{$1 / $2:.2f}x')" || echo "-"; }
ms() { [ -n "$1" ] && echo "$1 ms" || echo "-"; }
echo "| device | batch | Tapeflow | PyTorch | libtorch | PyTorch/Tapeflow | libtorch/Tapeflow |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for d in CPU:0 GPU:0; do
  for b in 32 256; do
    tf=$(val tapeflow "$d" "$b")
    [ -n "$tf" ] || continue
    pt=$(val pytorch "$d" "$b"); lt=$(val libtorch "$d" "$b")
    echo "| $d | $b | $(ms "$tf") | $(ms "$pt") | $(ms "$lt") | $(ratio "$pt" "$tf") | $(ratio "$lt" "$tf") |"
  done
done
echo
echo "| batch | Tapeflow tf::function | Tapeflow eager | jax.jit | torch.compile | TF tf.function | jax/Tapeflow | torch.compile/Tapeflow | tf.function/Tapeflow |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for b in 32 256; do
  fn=$(val tapeflow-loop-function CPU:0 "$b")
  [ -n "$fn" ] || continue
  ea=$(val tapeflow CPU:0 "$b"); jx=$(val jax_jit CPU:0 "$b"); tc=$(val torch_compile CPU:0 "$b"); tg=$(val tf_function CPU:0 "$b")
  echo "| $b | $(ms "$fn") | $(ms "$ea") | $(ms "$jx") | $(ms "$tc") | $(ms "$tg") | $(ratio "$jx" "$fn") | $(ratio "$tc" "$fn") | $(ratio "$tg" "$fn") |"
done
grep -h "^#" "$out"/*.txt || true
echo "(ms per epoch of 60000 images: median of $epochs epochs after a warm-up; $OMP_NUM_THREADS threads each; ratios > 1: Tapeflow faster)"
