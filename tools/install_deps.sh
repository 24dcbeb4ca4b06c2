#!/usr/bin/env bash
# Installs what building and testing Tapeflow needs on a fresh Debian/Ubuntu machine, and the
# Fashion-MNIST files the examples train on (dataset-fashion-mnist). Idempotent: installed
# packages are skipped, so a second run touches nothing. Root runs apt-get directly, others
# through sudo. The CUDA toolkit is optional: with it (nvcc on PATH or in /usr/local/cuda) the
# GPU backend is built too. `install_deps.sh --fuzz` adds clang for the fuzz targets.
set -euo pipefail
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install_deps.sh: run as root or install sudo" >&2; exit 1; }
  SUDO=(sudo)
fi
# Checkpoints: leveldb (the index table), protobuf (the messages); python3-venv for the
# TensorFlow interop tests (tools/python_env.sh installs TF from PyPI into the build tree).
pkgs=(cmake g++ make pkg-config libopenblas-dev libspdlog-dev libgtest-dev zlib1g-dev dataset-fashion-mnist
      libleveldb-dev libprotobuf-dev protobuf-compiler python3-venv libpng-dev)
pkgs+=(libhdf5-dev)  # Keras 3 .weights.h5 files (serialization/h5_weights.cpp)
pkgs+=(libzip-dev nlohmann-json3-dev)  # Keras 3 .keras files (zip + JSON configs, nn/models/keras_archive.cpp)
pkgs+=(libdnnl-dev)  # oneDNN: CPU conv, pooling, batch norm (optional at build time)
# --fuzz: also clang and its runtime libraries (libFuzzer, sanitizers) for tools/run_fuzz.sh.
[ "${1:-}" = "--fuzz" ] && pkgs+=(clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_deps.sh: installing ${missing[*]}" >&2
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
