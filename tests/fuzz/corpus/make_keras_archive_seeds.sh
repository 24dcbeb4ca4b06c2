#!/usr/bin/env bash
# The keras_archive fuzz target's seeds (fuzz/keras_archive_fuzz.cpp): `.keras` files as they are,
# written by Tapeflow (tests/serialization/interop/write_keras_models.cpp: a Sequential MLP, a
# functional CNN) and by Keras 3 (keras_models_interop.py write: the same two models).
#   make_keras_archive_seeds.sh BUILD_DIR PYTHON
set -euo pipefail
build=$1 py=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tapeflow" "$work/keras" "$here/keras_archive"
"$build/tests/tapeflow_keras_interop_writer" "$work/tapeflow"
"$py" "$here/../../serialization/interop/keras_models_interop.py" write "$work/keras"
for m in mlp cnn; do
  cp "$work/tapeflow/$m.keras" "$here/keras_archive/tapeflow_$m.keras"
  cp "$work/keras/$m.keras" "$here/keras_archive/keras_$m.keras"
done
