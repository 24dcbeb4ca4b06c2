#!/usr/bin/env bash
# The `.keras` interop test against the real Keras 3 (CTest label `interop`):
#   run_keras_interop.sh BUILD_DIR SOURCE_DIR
# Keras loads the .keras files Tapeflow saves (an MLP, a CNN, an RNN, an encoder-decoder whose
# decoder starts from the encoder's return_state states, a model masking with NotEqual/Any op nodes)
# and reproduces Tapeflow's predict
# and evaluate; Keras saves the same models and Tapeflow reproduces Keras's predict and evaluate.
set -euo pipefail
build=$1 src=$2
py=$(bash "$src/tools/python_env.sh" "$build/python-venv")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tapeflow" "$work/keras"
"$build/tests/tapeflow_keras_interop_writer" "$work/tapeflow"
"$py" "$src/tests/serialization/interop/keras_models_interop.py" read "$work/tapeflow"
"$py" "$src/tests/serialization/interop/keras_models_interop.py" write "$work/keras"
TAPEFLOW_KERAS_FILES="$work/keras" OMP_WAIT_POLICY=PASSIVE \
  "$build/tests/tapeflow_serialization_tests" --gtest_filter='KerasModelFileInterop.*'
