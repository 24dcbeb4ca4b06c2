#!/usr/bin/env bash
# Issue 17: tf.data pipelines and .npy I/O, Tapeflow (bench/data_pipeline.cpp) and TensorFlow /
# NumPy (bench/data_pipeline_tf.py) interleaved, three rounds each, with the load average:
#   bash bench/run_data_pipeline.sh [BUILD_DIR, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" --target data_pipeline >/dev/null
py=$(bash tools/python_env.sh "$build/python-venv")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2 3; do
  echo "== round $round"
  "$build/bench/data_pipeline"
  "$py" bench/data_pipeline_tf.py
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
