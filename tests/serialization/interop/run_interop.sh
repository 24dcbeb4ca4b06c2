#!/usr/bin/env bash
# The checkpoint interop test against the real TensorFlow (CTest label `interop`):
#   run_interop.sh BUILD_DIR SOURCE_DIR
# Makes (once, cached under BUILD_DIR) a venv with tensorflow-cpu 2.21 and Keras 3; Tapeflow
# writes checkpoints that TF checks; TF writes fresh checkpoints that Tapeflow restores.
set -euo pipefail
build=$1 src=$2
py=$(bash "$src/tools/python_env.sh" "$build/python-venv")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/tests/tapeflow_checkpoint_interop_writer" "$work/tapeflow"
"$py" "$src/tests/serialization/interop/tf_reads_tapeflow.py" "$work/tapeflow"
"$py" "$src/tests/serialization/fixtures/gen_tf_checkpoints.py" "$work/tf" >/dev/null
TAPEFLOW_TF_CHECKPOINTS="$work/tf" OMP_WAIT_POLICY=PASSIVE \
  "$build/tests/tapeflow_serialization_tests" --gtest_filter='TensorFlowCheckpoint.*'
