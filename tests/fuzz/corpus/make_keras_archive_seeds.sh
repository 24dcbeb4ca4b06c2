#!/usr/bin/env bash
# The keras_archive fuzz target's seeds (fuzz/keras_archive_fuzz.cpp): `.keras` files as they are,
# Tapeflow's Sequential MLP (tests/serialization/interop/write_keras_models.cpp) and Keras 3's
# functional CNN (keras_models_interop.py write).
#   make_keras_archive_seeds.sh BUILD_DIR PYTHON
set -euo pipefail
build=$1 py=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tapeflow" "$work/keras" "$here/keras_archive"
"$build/tests/tapeflow_keras_interop_writer" "$work/tapeflow"
"$py" "$here/../../serialization/interop/keras_models_interop.py" write "$work/keras"
# One of each writer and each model kind keeps the committed seeds small.
cp "$work/tapeflow/mlp.keras" "$here/keras_archive/tapeflow_mlp.keras"
cp "$work/keras/cnn.keras" "$here/keras_archive/keras_cnn.keras"
