#!/usr/bin/env bash
# Configures the Release build tree `build/` (CUDA backend when the toolkit is found).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH; fi
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
# TAPEFLOW_WERROR=ON in the environment (CI sets it) makes warnings in our own code errors.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTAPEFLOW_WERROR="${TAPEFLOW_WERROR:-OFF}" "${launcher[@]}" "$@"
