#!/usr/bin/env bash
# The Fashion-MNIST CNN epoch on CPU:0: Tapeflow through fit and through a custom loop
# (bench/cnn_epoch --mode both, the two interleaved epoch by epoch) and PyTorch eager
# (bench/cnn_epoch_torch.py), at batch 64 and 256, in one run:
#   bash bench/run_cnn_epoch.sh [rounds] [train_samples] [model]   # defaults: 3 12800 seed
# Each round runs Tapeflow then PyTorch (3 timed epochs after a warm-up each), so machine load
# hits the sides alike; a side's figure is the median over rounds. model: seed (examples/
# fashion_mnist_cnn: Conv32-Pool-Conv64-Pool-Dense128-Dense10, 3x3 kernels) or anchor (GPU.md's
# 5x5 / Dense1024). Every side uses OMP_NUM_THREADS threads (default: the usable cores).
# PyTorch: $TORCH_PYTHON, else /work/venv-torch/bin/python, else python3 (pip install torch).
# Prints a Markdown table ready for bench/RESULTS.md, with the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
samples=${2:-12800}
model=${3:-seed}
threads=$(nproc)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$threads}
[ -d build ] || bash tools/configure.sh >/dev/null
cmake --build build -j"$(nproc)" --target cnn_epoch >/dev/null
py=${TORCH_PYTHON:-}
[ -z "$py" ] && [ -x /work/venv-torch/bin/python ] && py=/work/venv-torch/bin/python
[ -z "$py" ] && py=python3
"$py" -c "import torch" 2>/dev/null || { echo "(PyTorch not importable by $py: the PyTorch column stays empty)" >&2; py=""; }
out=$(mktemp -d)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
common=(--epochs 3 --batch-sizes 64,256 --train-samples "$samples" --model "$model")
for r in $(seq "$rounds"); do
  ./build/bench/cnn_epoch --devices CPU:0 --mode both "${common[@]}" >> "$out/tapeflow.txt"
  [ -n "$py" ] && { "$py" bench/cnn_epoch_torch.py --devices cpu "${common[@]}" >> "$out/pytorch.txt" \
    || echo "(PyTorch peer failed)" >&2; }
  echo "round $r/$rounds done" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# The median over rounds of each side's per-round median (ms per epoch of 60000 images).
med() { awk -v s="$1" -v b="$2" '$1 == "cnn_epoch" && $2 == s && $3 == "CPU:0" && $4 == b { print $5 }' "$out"/*.txt |
        sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' || echo "-"; }
cell() { [ -n "$1" ] && awk -v e="$1" -v b="$2" 'BEGIN { printf "%.1f s (%.1f ms/step)", e / 1000, e / (60000 / b) }' || echo "-"; }
echo "| batch | Tapeflow fit | Tapeflow custom loop | PyTorch | loop/fit | PyTorch/fit | PyTorch/loop |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for b in 64 256; do
  fit=$(med tapeflow-fit "$b"); loop=$(med tapeflow "$b"); pt=$(med pytorch "$b")
  echo "| $b | $(cell "$fit" "$b") | $(cell "$loop" "$b") | $(cell "$pt" "$b") | $(ratio "$loop" "$fit") | $(ratio "$pt" "$fit") | $(ratio "$pt" "$loop") |"
done
grep -h "^#" "$out"/*.txt | sort -u || true
echo "(model $model; seconds per epoch of 60000 images, timed on $samples: median over $rounds rounds of the median of 3"
echo " epochs after a warm-up; $OMP_NUM_THREADS threads each; ratios > 1: the column's denominator faster;"
echo " load average before $load_before, after $load_after on $(nproc) cores)"
