#!/usr/bin/env bash
# README's main command: on a fresh Debian/Ubuntu machine, installs what is missing (compiler,
# CMake, OpenBLAS, the Fashion-MNIST package, ...: tools/install_deps.sh, sudo unless root),
# builds the library and examples/fashion_mnist_mlp.cpp (Release), and trains the seed's MLP
# on Fashion-MNIST: 10 epochs, then the test accuracy (>= 0.885). Extra arguments go to the
# example: bash tools/run_main.sh --epochs 2
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
[ -f build/CMakeCache.txt ] || bash tools/configure.sh
cmake --build build -j"$(nproc)" --target fashion_mnist_mlp
./build/examples/fashion_mnist_mlp "$@"
