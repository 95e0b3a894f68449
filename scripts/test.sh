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
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_suite() { # NAME BUILD_DIR CMAKE_ARGS...
  local name=$1 dir=$2; shift 2
  echo "=== tests: $name"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DRG_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  (cd "$dir" && ctest --output-on-failure -j"$jobs") 2>&1 | tee "$log" || true
  # ctest's summary: "NN% tests passed, F tests failed out of N"
  local line total fails
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -z "$line" ]; then
    echo "=== $name: no ctest summary (build or ctest failed)"
    status=1
    failed=$((failed + 1))
    return
  fi
  total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
  fails=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/')
  passed=$((passed + total - fails))
  failed=$((failed + fails))
  [ "$fails" -eq 0 ] || status=1
}

run_suite "release" build
if [ "${RG_TEST_QUICK:-0}" != 1 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite "asan+ubsan" build-asan -DRG_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  run_suite "no-openmp" build-noomp -DRG_OPENMP=OFF
  if [ -f fuzz/run.sh ]; then
    echo "=== fuzz smoke"
    if bash fuzz/run.sh --smoke; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      status=1
    fi
  fi
fi
echo "tests: $passed passed, $failed failed"
exit $status
