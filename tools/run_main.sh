#!/usr/bin/env bash
# README command 1: installs dependencies, builds, and runs the main example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bash tools/configure.sh
cmake --build build -j"$(nproc)" --target tensors
./build/examples/tensors
