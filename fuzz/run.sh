#!/usr/bin/env bash
# run.sh: build and run the libFuzzer harnesses (fuzz/fuzz_<target>.c).
#
#   bash fuzz/run.sh --smoke             every harness for a few seconds (CI; about 2 minutes of
#                                        fuzzing plus the build)
#   bash fuzz/run.sh --long SECONDS [TARGET...]
#                                        nightly-style: each harness (or the named ones) for
#                                        SECONDS, keeping the grown corpus in fuzz/corpus-out/
#   bash fuzz/run.sh --repro TARGET FILE run one harness on one input (to debug a crash)
#   bash fuzz/run.sh --list              the targets
#
# The harnesses are built with clang -fsanitize=fuzzer,address,undefined (fuzz/CMakeLists.txt)
# in $RG_FUZZ_BUILD (default build-fuzz).  Seeds come from fuzz/make_seeds.sh (inputs the project
# makes itself).  A crash, a leak, a sanitizer report or a time-out stops that harness; its input
# is saved under fuzz/corpus-out/crashes/ and the script exits 1 after running the others.
# Every crash found becomes a test in tests/regression/ before it is fixed.
# Environment: RG_FUZZ_SMOKE_SECONDS (default 8 per harness), RG_FUZZ_BUILD.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
build="${RG_FUZZ_BUILD:-build-fuzz}"
out="fuzz/corpus-out"

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-1}"; }

targets() { ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||'; }

build_all() {
  if ! command -v clang >/dev/null; then
    echo "fuzz: clang is not installed (scripts/deps.sh installs clang and libclang-rt-14-dev)" >&2
    exit 1
  fi
  cmake -S fuzz -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
  bash fuzz/make_seeds.sh "$build" "$build/seeds"
}

# run_one TARGET SECONDS CORPUS_DIR: 0 when the harness ran clean for SECONDS
run_one() {
  local t=$1 secs=$2 corpus=$3 log="$build/log-$1.txt"
  mkdir -p "$corpus" "$out/crashes"
  # the grown corpus first (libFuzzer adds new inputs there), the seeds second (read only)
  if ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
     UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
     "$build/fuzz_$t" "$corpus" "$build/seeds/$t" -max_total_time="$secs" -timeout=10 \
       -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$out/crashes/$t-" >"$log" 2>&1; then
    local runs
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    printf "fuzz %-18s ok   %s runs, corpus %s\n" "$t" "$runs" "$(ls "$corpus" | wc -l)"
    return 0
  fi
  printf "fuzz %-18s FAIL (log %s)\n" "$t" "$log"
  grep -E "ERROR: |SUMMARY: |runtime error|invariant failed|without a message|Test unit written" \
    "$log" | head -8 | sed 's/^/    /'
  return 1
}

# Harnesses left out of --smoke (still run by --long): none.  model_attach (what a model kind does
# with a checksum-valid but mutated model file) found kinds that trusted the tensor table (knn,
# mf, bias, then the rest: fixed, docs/robustness.md); since every kind checks its tensors on
# attach it runs clean (236,548 inputs in 90 s) and is part of the smoke run.
smoke_skip=""

mode=${1:---help}
case "$mode" in
  --smoke)
    build_all
    secs=${RG_FUZZ_SMOKE_SECONDS:-8}
    status=0
    for t in $(targets); do
      case " $smoke_skip " in
        *" $t "*) echo "fuzz $t: not in the smoke run (see smoke_skip)"; continue ;;
      esac
      rm -rf "$build/smoke/$t"
      run_one "$t" "$secs" "$build/smoke/$t" || status=1
    done
    exit $status ;;
  --long)
    [ $# -ge 2 ] || usage
    secs=$2; shift 2
    build_all
    list=("$@")
    [ ${#list[@]} -gt 0 ] || list=($(targets))
    status=0
    for t in "${list[@]}"; do
      run_one "$t" "$secs" "$out/$t" || status=1
    done
    exit $status ;;
  --repro)
    [ $# -eq 3 ] || usage
    build_all
    exec "$build/fuzz_$2" "$3" ;;
  --list) targets ;;
  -h|--help) usage 0 ;;
  *) usage ;;
esac
