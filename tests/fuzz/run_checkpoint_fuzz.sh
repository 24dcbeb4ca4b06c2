#!/usr/bin/env bash
# Builds the checkpoint fuzz target with Debian's clang (libFuzzer + ASan + UBSan) and runs it
# for SECONDS (default 60) on the committed seed corpus:  run_checkpoint_fuzz.sh [SECONDS]
# The reader sources are compiled into the target (instrumented); the rest of the library
# (tensors, the generated protobuf classes) comes from the configured build/ (tools/configure.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=build/fuzz
mkdir -p "$out" "$out/corpus"
cmake --build build --target tapeflow -j"$(nproc)" >/dev/null
flags=(-std=c++20 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1)
clang++ "${flags[@]}" -I. -Ibuild/tapeflow -DTAPEFLOW_HAS_CUDA=0 \
  tests/fuzz/checkpoint_fuzz.cpp tapeflow/serialization/table_reader.cpp tapeflow/serialization/crc32c.cpp \
  tapeflow/serialization/tensor_bundle.cpp tapeflow/serialization/file_io.cpp \
  -Lbuild/tapeflow -Wl,-rpath,"$PWD/build/tapeflow" -ltapeflow -lleveldb -lprotobuf -o "$out/checkpoint_fuzz"
cp tests/fuzz/corpus/checkpoint/* "$out/corpus/"
"$out/checkpoint_fuzz" -max_total_time="$secs" -malloc_limit_mb=512 -rss_limit_mb=2048 -timeout=10 \
  "$out/corpus" 2>&1 | tail -n 5
