#!/usr/bin/env bash
# The CPU test suites under sanitizers, each in its own CPU-only build tree (CI runs both after
# the README's test command; any report fails the run):
#   bash tools/run_sanitized_tests.sh address   # build-asan/: ASan + UBSan, the core, autograd and nn suites
#   bash tools/run_sanitized_tests.sh thread    # build-tsan/: ThreadSanitizer, the tests that start threads
# Only the test binaries are built (no examples or benchmarks), at -O1 with debug line tables.
# The suites run as whole binaries, two at a time (CTest's one process per test would pay the
# sanitizer start-up a thousand times). The ThreadSanitizer build leaves oneDNN out (Debian's runs on
# libgomp, which is not built with TSan: its barriers look like races) and runs OpenBLAS on one
# thread (its pthreads are not instrumented either); our own intra-op pool keeps its threads.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: tools/run_sanitized_tests.sh address|thread}
bash tools/install_deps.sh
case "$kind" in
  address)
    dir=build-asan
    extra=()
    flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    binaries=(tapeflow_core_tests tapeflow_autograd_tests tapeflow_nn_tests)
    filter='*'
    ;;
  thread)
    dir=build-tsan
    extra=(-DTAPEFLOW_ONEDNN=OFF)
    flags="-fsanitize=thread"
    binaries=(tapeflow_core_tests tapeflow_nn_tests tapeflow_serialization_tests tapeflow_graph_tests)
    # Every test that starts a thread: the prefetching Dataset, device scopes across threads,
    # fit, the thread-safety tests, the event writer's queue and its thread, the profiler,
    # BackupAndRestore and the checkpoint kill test (forked writers), concurrent Function calls.
    filter='Dataset.*:DeviceScope.*:NoGpu.*:*Thread*:*thread*:*Fit*:*fit*:SummaryWriter.*:SummaryTrace.*'
    filter+=':Profiler.*:BackupAndRestore.*:CheckpointKill.*:*Concurrent*'
    ;;
  *) echo "run_sanitized_tests.sh: unknown sanitizer '$kind' (address or thread)" >&2; exit 2 ;;
esac
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -DTAPEFLOW_CUDA=OFF -DTAPEFLOW_BUILD_EXAMPLES=OFF -DTAPEFLOW_BUILD_BENCH=OFF \
  -DTAPEFLOW_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" \
  "${extra[@]}" "${launcher[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)" --target "${binaries[@]}"

export OMP_WAIT_POLICY=PASSIVE
# allocator_may_return_null: the tests ask for impossible sizes on purpose, and the library must
# answer ResourceExhaustedError when malloc returns null (ASan aborts instead by default).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# die_after_fork=0: the checkpoint, BackupAndRestore and pool tests fork children that start
# threads (the child's own intra-op pool, Note [The pool across fork]).
# tools/tsan.supp: OpenBLAS's threads (not instrumented), when a test chooses a thread count.
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:die_after_fork=0:suppressions=$PWD/tools/tsan.supp
[ "$kind" = thread ] && export OPENBLAS_NUM_THREADS=1
mkdir -p "$dir/logs"
pids=()
run() {  # one suite, its output in a log; prints the log's tail if it fails
  local bin=$1 log="$dir/logs/$1.log"
  if "$dir/tests/$bin" --gtest_filter="$filter" --gtest_brief=1 > "$log" 2>&1; then
    echo "$bin: $(grep -E '^\[  PASSED  \]' "$log" | tail -n 1)"
  else
    tail -n 80 "$log" >&2
    echo "run_sanitized_tests.sh ($kind): $bin FAILED (log: $log)" >&2
    return 1
  fi
}
status=0
jobs_max=$(nproc)
for bin in "${binaries[@]}"; do
  run "$bin" & pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 1; done
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
# A report after main (a leak, a race in a destructor) ends a binary non-zero: caught above.
exit $status
