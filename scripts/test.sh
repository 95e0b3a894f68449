#!/usr/bin/env bash
# test.sh: install dependencies when missing, then build and run every test, three ways:
#   1. release build (OpenMP, -Werror), all tests;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build, all tests;
#   3. build without OpenMP, all tests;
# and finally a short fuzzing smoke run of every reader (clang libFuzzer) when clang is present.
# Real-data tests read MovieLens from $RG_DATA_DIR (default ../shared/data when it exists);
# without it they print SKIP and the rest still runs.
# RG_TEST_QUICK=1 runs only the release build (for a fast local loop).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ -z "${RG_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  RG_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export RG_DATA_DIR="${RG_DATA_DIR:-}"
jobs=$(nproc 2>/dev/null || echo 2)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
status=0

run_suite() { # NAME BUILD_DIR CMAKE_ARGS...
  local name=$1 dir=$2; shift 2
  echo "=== tests: $name"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DRG_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  (cd "$dir" && ctest --output-on-failure -j"$jobs") || status=1
}

run_suite "release" build
if [ "${RG_TEST_QUICK:-0}" != 1 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite "asan+ubsan" build-asan -DRG_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  run_suite "no-openmp" build-noomp -DRG_OPENMP=OFF
  if [ -x fuzz/run.sh ]; then
    echo "=== fuzz smoke"
    bash fuzz/run.sh --smoke || status=1
  fi
fi
exit $status
