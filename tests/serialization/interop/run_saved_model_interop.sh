#!/usr/bin/env bash
# The SavedModel interop test against the real TensorFlow (CTest label `interop`):
#   run_saved_model_interop.sh BUILD_DIR SOURCE_DIR
# Tapeflow saves SavedModels that TF loads and runs (TF2, TF1 Session, saved_model_cli run); TF and
# Keras write SavedModels (a tf.Module, a Keras model.export()) that Tapeflow loads and runs,
# reproducing TF's outputs, in C++ and through Tapeflow's saved_model_cli run.
set -euo pipefail
build=$1 src=$2
py=$(bash "$src/tools/python_env.sh" "$build/python-venv")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/tests/tapeflow_saved_model_interop_writer" "$work/tapeflow"
"$py" "$src/tests/serialization/interop/tf_loads_tapeflow_saved_models.py" "$work/tapeflow"
"$py" "$src/tests/serialization/interop/gen_tf_saved_models.py" "$work/tf" >/dev/null
"$py" "$src/tests/serialization/interop/tapeflow_cli_runs_tf_saved_models.py" "$work/tf" "$build/tools/saved_model_cli"
TAPEFLOW_TF_SAVED_MODELS="$work/tf" OMP_WAIT_POLICY=PASSIVE \
  "$build/tests/tapeflow_serialization_tests" --gtest_filter='TensorFlowSavedModel.*'
