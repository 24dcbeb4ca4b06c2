#!/usr/bin/env bash
# The Fashion-MNIST CNN's conv/pool/batch-norm ops in Tapeflow (oneDNN and its own kernels) and
# PyTorch CPU, interleaved over `rounds` rounds (best of each side kept), every side on
# OMP_NUM_THREADS threads (default: the core count):
#   bash bench/run_conv_bench.sh [rounds] [reps]     # PYTHON=... picks the Python with torch
#   ONLY=pool bash bench/run_conv_bench.sh 3 10       # only the layers whose name contains ONLY
# Prints the load average and a Markdown table ready for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
reps=${2:-10}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
python=${PYTHON:-python3}
[ -d build ] || bash tools/configure.sh >/dev/null
cmake --build build -j"$(nproc)" --target conv_bench >/dev/null
out=$(mktemp -d)
have_torch=0
"$python" -c "import torch" 2>/dev/null && have_torch=1 || echo "(PyTorch not installed: no peer column)" >&2
for ((r = 0; r < rounds; ++r)); do
  ./build/bench/conv_bench "$reps" "${ONLY:-}" >> "$out/all.txt"
  [ "$have_torch" = 1 ] && "$python" bench/conv_bench_torch.py "$reps" "${ONLY:-}" >> "$out/all.txt"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), OMP_NUM_THREADS=$OMP_NUM_THREADS"
grep '^#' "$out/all.txt" | sort -u
"$python" - "$out/all.txt" <<'PY'
import sys
best = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 5 and f[0] == "conv_bench":
        key = (f[2], f[3])
        best.setdefault(key, {})
        best[key][f[1]] = min(float(f[4]), best[key].get(f[1], float("inf")))
def ms(v): return f"{v:.2f} ms" if v is not None else "-"
def ratio(a, b): return f"{a / b:.2f}x" if a is not None and b is not None else "-"
print("| layer | pass | Tapeflow (oneDNN) | Tapeflow (own kernels) | PyTorch | PyTorch / Tapeflow |")
print("| --- | --- | --- | --- | --- | --- |")
for (layer, p), v in best.items():
    t, own, pt = v.get("tapeflow"), v.get("tapeflow_own"), v.get("pytorch")
    print(f"| {layer} | {p} | {ms(t)} | {ms(own)} | {ms(pt)} | {ratio(pt, t if t is not None else own)} |")
PY
