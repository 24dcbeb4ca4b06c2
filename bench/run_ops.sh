#!/usr/bin/env bash
# Issue 19's op-family table, measured in one run:
#   bash bench/run_ops.sh [ROUNDS]    # builds ops_bench (Release); PyTorch from $TORCH_PYTHON,
#                                     # else /work/venv-torch/bin/python, else python3
#   ONLY=transpose SIZES=large bash bench/run_ops.sh 3   # the families whose name contains ONLY
# Tapeflow (build/bench/ops_bench) and PyTorch (bench/ops_bench_torch.py) run alternately,
# ROUNDS times each (default 2), each row keeping its best time; the ceiling is the streaming
# bandwidth ops_bench measures in the same process (read-only sum for the reductions, memcpy for
# the rest) over the bytes the op must move. Prints a Markdown table ready for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
[ -d build ] || bash tools/configure.sh >/dev/null
cmake --build build -j"$(nproc)" --target ops_bench >/dev/null
py=${TORCH_PYTHON:-/work/venv-torch/bin/python}
[ -x "$py" ] || py=python3
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  ./build/bench/ops_bench --sizes "${SIZES:-small,large}" ${ONLY:+--only "$ONLY"} > "$out/tf.$r.txt"
  "$py" bench/ops_bench_torch.py --sizes "${SIZES:-small,large}" ${ONLY:+--only "$ONLY"} > "$out/torch.$r.txt" \
    2>"$out/torch.$r.err" || echo "(PyTorch peer failed: $out/torch.$r.err)" >&2
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $rounds rounds"
python3 - "$out" "$rounds" <<'EOF'
import sys
out, rounds = sys.argv[1], int(sys.argv[2])
tf, torch, meta, bw = {}, {}, {}, {}
for r in range(1, rounds + 1):
    for line in open(f"{out}/tf.{r}.txt"):
        p = line.split()
        if p[0] == "case":
            k = (p[1], p[2]); tf[k] = min(tf.get(k, 1e9), float(p[3])); meta[k] = (int(p[4]), int(p[5]))
        elif p[0] == "bandwidth":
            old = bw.get(p[1], (0, 0)); bw[p[1]] = (max(old[0], float(p[2])), max(old[1], float(p[3])))
    try:
        for line in open(f"{out}/torch.{r}.txt"):
            p = line.split()
            if p[0] == "case":
                k = (p[1], p[2]); torch[k] = min(torch.get(k, 1e9), float(p[3]))
    except FileNotFoundError:
        pass

def t(s):
    return f"{s * 1e9:.0f} ns" if s < 1e-6 else f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms"

print("| family | size | Tapeflow | PyTorch | PyTorch/Tapeflow | ceiling | Tapeflow % of ceiling |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for k, s in tf.items():
    fam, size = k
    rd, wr = meta[k]
    peer = torch.get(k)
    ratio = f"{peer / s:.2f}x" if peer else ""
    ceil, pct = "", ""
    if size in bw:
        read_bw, copy_bw = bw[size]
        # Reductions move (almost) only reads; the others read and write.
        c = rd / (read_bw * 1e9) if wr * 16 < rd else (rd + wr) / (copy_bw * 1e9)
        ceil, pct = t(c), f"{100 * c / s:.0f}%"
    label = {"small": "64x64", "large": "8192x4096", "16": "16"}.get(size, size)
    print(f"| {fam} | {label} | {t(s)} | {t(peer) if peer else 'n/a'} | {ratio} | {ceil} | {pct} |")
for size, (r, c) in bw.items():
    print(f"\nStreaming peers ({size}): read-only sum {r:.1f} GB/s, memcpy {c:.1f} GB/s (read + write).", end="")
print()
EOF
