#!/usr/bin/env bash
# README command 2: installs dependencies, builds everything, and runs the whole test suite
# (GPU tests skip themselves on a machine without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bash tools/configure.sh
cmake --build build -j"$(nproc)"
# Test binaries run two at a time on 2 cores: OpenMP threads must sleep, not spin, while waiting.
export OMP_WAIT_POLICY=PASSIVE
ctest --test-dir build --output-on-failure -j"$(nproc)"
