#!/usr/bin/env bash
# The .npy interop test (CTest label `interop`): run_npy_interop.sh BUILD_DIR SOURCE_DIR
# NumPy (the venv of tools/python_env.sh) writes arrays in every dtype, byte order, memory order
# and format version; Tapeflow reads them and writes them back, plus arrays of its own; NumPy
# loads what Tapeflow wrote and compares exactly.
set -euo pipefail
build=$1 src=$2
py=$(bash "$src/tools/python_env.sh" "$build/python-venv")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/numpy" "$work/tapeflow"
"$py" "$src/tests/serialization/interop/numpy_npy_interop.py" write "$work/numpy"
"$build/tests/tapeflow_npy_roundtrip" "$work/numpy" "$work/tapeflow"
"$py" "$src/tests/serialization/interop/numpy_npy_interop.py" check "$work/numpy" "$work/tapeflow"
