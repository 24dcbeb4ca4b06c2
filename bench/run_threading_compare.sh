#!/usr/bin/env bash
# Issue 19's threading figure: the seed CNN's fit and custom-loop epoch with this tree's intra-op
# pool against another build of libtapeflow (e.g. main at 848e179, whose parallel_for ran on
# OpenMP), with and without OMP_WAIT_POLICY=PASSIVE, alternated round by round under
# /usr/bin/time (CPU seconds show spinning threads whatever the machine's load):
#   bash bench/run_threading_compare.sh <dir holding the other libtapeflow.so> [rounds] [train_samples]
# The other library must be ABI-compatible with this tree's bench/cnn_epoch (same public headers).
set -euo pipefail
cd "$(dirname "$0")/.."
other=${1:?usage: bench/run_threading_compare.sh <dir of the other libtapeflow.so> [rounds] [train_samples]}
rounds=${2:-3}
samples=${3:-1600}
cmake --build build -j"$(nproc)" --target cnn_epoch >/dev/null
args=(--model seed --mode both --epochs 2 --train-samples "$samples" --batch-sizes 64 --devices CPU:0)
echo "| round | build | load | loop s/epoch | fit s/epoch | CPU s (user+sys) | wall s |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for r in $(seq "$rounds"); do
  for cfg in other other+PASSIVE this; do
    env=()
    case $cfg in
      other) env=(LD_LIBRARY_PATH="$other") ;;
      other+PASSIVE) env=(LD_LIBRARY_PATH="$other" OMP_WAIT_POLICY=PASSIVE) ;;
    esac
    load=$(cut -d' ' -f1 /proc/loadavg)
    out=$(env "${env[@]}" /usr/bin/time -f "time %U %S %e" ./build/bench/cnn_epoch "${args[@]}" 2>&1)
    loop=$(awk '$2 == "tapeflow" { printf "%.1f", $5 / 1000 }' <<<"$out")
    fit=$(awk '$2 == "tapeflow-fit" { printf "%.1f", $5 / 1000 }' <<<"$out")
    cpu=$(awk '$1 == "time" { printf "%.2f", $2 + $3 }' <<<"$out")
    wall=$(awk '$1 == "time" { print $4 }' <<<"$out")
    echo "| $r | $cfg | $load | $loop | $fit | $cpu | $wall |"
  done
done
echo "(seed CNN, batch 64, $samples images timed per epoch, scaled to 60000; $(nproc) cores)"
