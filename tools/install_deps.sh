#!/usr/bin/env bash
# Installs what building and testing Tapeflow needs on a fresh Debian/Ubuntu machine.
# The CUDA toolkit is optional: with it (nvcc on PATH or in /usr/local/cuda) the GPU backend is built too.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=(cmake g++ make pkg-config libopenblas-dev libspdlog-dev libgtest-dev zlib1g-dev dataset-fashion-mnist)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
