#!/usr/bin/env bash
# Builds the libtorch peer (bench/cpu_vs_gpu_libtorch.cpp) against the torch pip package's
# headers and libraries, then runs cpu_vs_gpu --peer with it. Usage:
#   bench/run_cpu_vs_gpu.sh BUILD_DIR [cpu_vs_gpu flags...]     (e.g. build --quick)
# Without torch it runs cpu_vs_gpu alone. The peer is not in CMake on purpose: it needs PyTorch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: $0 BUILD_DIR [cpu_vs_gpu flags...]}"
shift
bin="$build/bench/cpu_vs_gpu"
cmake --build "$build" -j"$(nproc)" --target cpu_vs_gpu >/dev/null

torch_dir="$(python3 -c "import importlib.util,os;print(os.path.dirname(importlib.util.find_spec('torch').origin))" 2>/dev/null || true)"
if [[ -z "$torch_dir" || ! -d "$torch_dir/include" ]]; then
  echo "torch (pip package) not found: running without the libtorch peer" >&2
  exec "$bin" "$@"
fi

peer="$build/bench/cpu_vs_gpu_libtorch"
libs=(-ltorch -ltorch_cpu -lc10)
[[ -e "$torch_dir/lib/libtorch_cuda.so" ]] && libs+=(-ltorch_cuda -lc10_cuda)
if [[ ! -x "$peer" || "$here/cpu_vs_gpu_libtorch.cpp" -nt "$peer" ]]; then
  echo "building $peer against $torch_dir" >&2
  # The torch wheel is built with the pre-C++11 or the C++11 ABI; ask it which (wheels since
  # 2.7 use the C++11 ABI, the fallback when torch cannot be imported here).
  abi="$(python3 -c "import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))" 2>/dev/null || echo 1)"
  ${CXX:-g++} -std=c++20 -O2 -D_GLIBCXX_USE_CXX11_ABI="$abi" "$here/cpu_vs_gpu_libtorch.cpp" -o "$peer" \
    -I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include" \
    -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -Wl,--no-as-needed "${libs[@]}" -Wl,--as-needed \
    -Wl,--allow-shlib-undefined  # torch's own libraries find NCCL/NVSHMEM through their RPATHs at run time
fi
exec "$bin" --peer="$peer" "$@"
