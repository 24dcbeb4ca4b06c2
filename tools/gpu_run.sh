#!/usr/bin/env bash
# The GPU check's run on the GPU machine, from the pack tools/gpu_check.sh builds (this file
# travels inside it as tapeflow_gpu/tools/gpu_run.sh):
#   bash tapeflow_gpu/tools/gpu_run.sh OUT_DIR
# Runs, within about 7.5 minutes: the GPU test binary (failing on any skipped test when a GPU
# is present: a skip there means the GPU path did not run), the examples on GPU:0, bench
# cpu_vs_gpu and the MLP/CNN epoch benchmarks beside their PyTorch peers. Logs, the tests' JSON
# report and results.md (the table for bench/RESULTS.md) go to OUT_DIR. Without a GPU it is a
# rehearsal: the tests skip, the examples run on CPU:0 on small settings, the GPU benchmarks
# are skipped, and the summary says so.
set -uo pipefail
pack=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${OUT:-}}
[ -n "$out" ] || { echo "usage: gpu_run.sh OUT_DIR" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
export LD_LIBRARY_PATH="$pack/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export TAPEFLOW_DATA="${TAPEFLOW_DATA:-$pack/data}"  # gpu_check.sh's command points it at gpu_pack/data
start=$(date +%s)
deadline=$((start + ${GPU_RUN_SECONDS:-450}))
results="$out/results.md"
failed=0

has_gpu=0
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L > "$out/nvidia-smi.txt" 2>&1 && grep -q '^GPU ' "$out/nvidia-smi.txt"; then
  has_gpu=1
  nvidia-smi >> "$out/nvidia-smi.txt" 2>&1
fi
{
  echo "# GPU check $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(cat "$pack/COMMIT" 2>/dev/null)"
  echo
  if [ $has_gpu = 1 ]; then echo "GPU: $(grep '^GPU ' "$out/nvidia-smi.txt" | head -n 1)"
  else echo "**REHEARSAL: no GPU on this machine** (nvidia-smi lists none): GPU parts are skipped."; fi
  echo
  echo "| step | status | seconds | note |"
  echo "| --- | --- | --- | --- |"
} > "$results"

# Every binary must find its libraries here (a "not found" is a library to add to the pack).
ldd "$pack"/bin/* "$pack"/lib/libtapeflow.so > "$out/ldd.txt" 2>&1
if grep -q "not found" "$out/ldd.txt"; then
  echo "| libraries | FAILED | 0 | $(grep 'not found' "$out/ldd.txt" | sort -u | awk '{print $1}' | tr '\n' ' ')missing: pack them (tools/gpu_check.sh) |" >> "$results"
  failed=1
fi

# step NAME CAP_SECONDS PASS_REGEX COMMAND...: runs with the smaller of CAP and the time left,
# logs to OUT/NAME.log, and adds a row. PASS_REGEX (may be empty) must match the log.
step() {
  local name=$1 cap=$2 pass=$3
  shift 3
  local left=$((deadline - $(date +%s)))
  if [ $left -lt 15 ]; then
    echo "| $name | NOT RUN | 0 | out of time |" >> "$results"
    echo "== $name: not run (out of time)"
    failed=1
    return 1
  fi
  [ $cap -gt $left ] && cap=$left
  echo "== $name (up to ${cap}s)"
  local t0=$(date +%s) rc=0
  timeout "$cap" "$@" > "$out/$name.log" 2>&1 || rc=$?
  local secs=$(($(date +%s) - t0)) status=ok note=""
  if [ $rc = 124 ]; then status=FAILED; note="timed out after ${cap}s"
  elif [ $rc != 0 ]; then status=FAILED; note="exit $rc"
  elif [ -n "$pass" ] && ! grep -Eq "$pass" "$out/$name.log"; then status=FAILED; note="output lacks /$pass/"; fi
  [ $status = ok ] || { failed=1; tail -n 20 "$out/$name.log"; }
  echo "| $name | $status | $secs | $note |" >> "$results"
  echo "   $status ${secs}s $note"
  [ $status = ok ]
}
skip() { echo "| $1 | SKIPPED | 0 | $2 |" >> "$results"; echo "== $1: skipped ($2)"; }

# 1. The GPU test binary, directly (CTest's files hold the build machine's paths).
step gpu_tests 240 "GPU test summary" "$pack/bin/tapeflow_gpu_tests" --gtest_output="json:$out/gpu_tests.json"
summary=$(grep -h "GPU test summary" "$out/gpu_tests.log" | tail -n 1)
read -r ran skipped tfailed total < <(echo "$summary" | sed -E 's/.*: ([0-9]+) ran, ([0-9]+) skipped, ([0-9]+) failed, ([0-9]+) total.*/\1 \2 \3 \4/')
if [ $has_gpu = 1 ]; then
  if [ "${skipped:-1}" != 0 ] || [ "${ran:-0}" = 0 ]; then
    failed=1
    echo "| gpu tests ran | FAILED | | ${summary:-no summary line}: a GPU is present, so no test may skip |" >> "$results"
    grep -E "^\[  SKIPPED \]" "$out/gpu_tests.log" | head -n 20
  else
    echo "| gpu tests ran | ok | | $summary |" >> "$results"
  fi
else
  echo "| gpu tests ran | REHEARSAL | | $summary (no GPU: skips expected) |" >> "$results"
fi

# 2. The examples, on GPU:0 (their default where a GPU exists); short settings without one.
bin=$pack/bin
step example_tensors 30 "" bash -c "'$bin/tensors' > '$out/tensors.out' && diff -u '$pack/examples/tensors.expected' '$out/tensors.out'"
step example_device_placement 30 "shape=\(2, 2\), dtype=float32" "$bin/device_placement"
step example_autograd 60 "autograd tutorial: all values match TF" "$bin/autograd"
step example_linear_regression 60 "converged to the true line" "$bin/linear_regression"
if [ $has_gpu = 1 ]; then
  step example_fashion_mnist_mlp 90 "Test accuracy: 0\.[6-9]" "$bin/fashion_mnist_mlp" --epochs 2
  step example_fashion_mnist_cnn 120 "Test accuracy: 0\.[6-9]" "$bin/fashion_mnist_cnn" --epochs 1
else
  step example_fashion_mnist_mlp 90 "Test accuracy: 0\.[6-9]" "$bin/fashion_mnist_mlp" --epochs 1 --train-samples 5000
  # Its validation and test passes convolve all 10000 test images: many minutes on a small
  # loaded CPU. CTest runs it on CPU (examples/CMakeLists.txt); this check runs it on a GPU.
  skip example_fashion_mnist_cnn "no GPU (CTest runs it on CPU)"
fi

# 3. Benchmarks beside PyTorch (python3 with torch is on the GPU machine), GPU only.
has_torch=0
python3 -c "import torch" >/dev/null 2>&1 && has_torch=1
if [ $has_gpu = 1 ]; then
  peer=()
  [ $has_torch = 1 ] && peer=(--peer=python)
  step bench_cpu_vs_gpu 90 "" "$bin/cpu_vs_gpu" --quick "${peer[@]}"
  step bench_function_overhead_gpu 60 "CUDA-graph replay" "$bin/function_overhead" --only gpu
  step bench_mlp_epoch 75 "mlp_epoch tapeflow GPU:0" "$bin/mlp_epoch" --devices GPU:0 --epochs 3
  [ $has_torch = 1 ] && step bench_mlp_epoch_torch 75 "mlp_epoch pytorch GPU:0" \
    python3 "$pack/bench/mlp_epoch_torch.py" --devices cuda --epochs 3
  step bench_cnn_epoch 90 "cnn_epoch tapeflow GPU:0" "$bin/cnn_epoch" --devices GPU:0 --epochs 2
  [ $has_torch = 1 ] && step bench_cnn_epoch_torch 75 "cnn_epoch pytorch GPU:0" \
    python3 "$pack/bench/cnn_epoch_torch.py" --devices cuda --epochs 2
  [ $has_torch = 1 ] || skip bench_peers "python3 has no torch here"
else
  skip bench_cpu_vs_gpu "no GPU"
  skip bench_mlp_epoch "no GPU"
  skip bench_cnn_epoch "no GPU"
fi

# 4. The figures: Tapeflow beside PyTorch, measured in this run.
{
  echo
  echo "| benchmark (GPU:0, ms per epoch of 60000 images, median) | batch | Tapeflow | PyTorch | PyTorch/Tapeflow |"
  echo "| --- | --- | --- | --- | --- |"
  for kind in mlp_epoch cnn_epoch; do
    for log in "$out/bench_$kind.log"; do
      [ -f "$log" ] || continue
      awk -v k=$kind '$1 == k && $2 == "tapeflow" && $3 == "GPU:0" { print $4, $5 }' "$log" | while read -r b ms; do
        pt=$(awk -v k=$kind -v b="$b" '$1 == k && $2 == "pytorch" && $3 == "GPU:0" && $4 == b { print $5 }' \
             "$out/bench_${kind}_torch.log" 2>/dev/null)
        ratio=-
        [ -n "$pt" ] && ratio=$(awk -v a="$pt" -v b="$ms" 'BEGIN { printf "%.2fx", a / b }')
        echo "| $kind | $b | $ms | ${pt:--} | $ratio |"
      done
    done
  done
  echo
  echo "Total: $(($(date +%s) - start)) s. cpu_vs_gpu's own table: bench_cpu_vs_gpu.log."
} >> "$results"

echo
cat "$results"
if [ $has_gpu = 0 ]; then
  echo
  echo "REHEARSAL ONLY: this machine has no GPU. ${skipped:-?} of ${total:-?} GPU tests skipped, the examples ran on"
  echo "CPU:0 and the GPU benchmarks did not run. This shows the pack unpacks, its libraries resolve and"
  echo "its steps work; it says nothing about the GPU."
fi
[ $failed = 0 ] && echo "gpu_run.sh: PASSED" || echo "gpu_run.sh: FAILED (see $results and the logs in $out)"
exit $failed
