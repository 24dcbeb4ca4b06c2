#!/usr/bin/env bash
# The TensorBoard interop test (CTest label `interop`): run_tensorboard_interop.sh BUILD_DIR SOURCE_DIR
# Tapeflow writes every summary kind and a fit() with the TensorBoard callback; TensorBoard's
# EventAccumulator (in the venv of
# tools/python_env.sh) reads them back and checks tags, steps and values exactly.
set -euo pipefail
build=$1 src=$2
py=$(bash "$src/tools/python_env.sh" "$build/python-venv")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/tests/tapeflow_summary_interop_writer" "$work/logs" "$work/fit"
"$py" "$src/tests/serialization/interop/tensorboard_reads_tapeflow.py" "$work/logs"
"$py" "$src/tests/serialization/interop/keras_tensorboard_runs.py" "$work/fit"
