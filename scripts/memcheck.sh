#!/usr/bin/env bash
# memcheck.sh: valgrind memcheck over the ML-100K integration tests: the real-data unit tests
# that read ML-100K (test_io_real, test_split, test_khop, test_similarity) and the command-line
# pipeline on ML-100K u1 (import, info, train with --test-file u1.test for several kinds, eval,
# recommend for a known and a folded-in user, similar, neighbors, sample).  Every run must have no
# invalid read or write, no use of uninitialised values and no definite or indirect leak
# (valgrind --error-exitcode); "still reachable" memory (libgomp's thread pool, OpenBLAS buffers)
# is not an error.
#
#   bash scripts/memcheck.sh            # build in build-memcheck (RelWithDebInfo), run, summary
#   RG_MEMCHECK_BUILD=DIR bash scripts/memcheck.sh   # an existing build dir, as configured
#
# Needs valgrind (scripts/deps.sh) and $RG_DATA_DIR/ml-100k (default ../shared/data).  About
# 10-20 minutes on a loaded 2-core machine.  Logs: <build>/memcheck/*.log.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${RG_MEMCHECK_BUILD:-build-memcheck}"
if [ -z "${RG_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  RG_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export RG_DATA_DIR="${RG_DATA_DIR:-}"
if [ ! -d "$RG_DATA_DIR/ml-100k" ]; then
  echo "memcheck: SKIP: \$RG_DATA_DIR/ml-100k not found (set RG_DATA_DIR)"; exit 0
fi
if ! command -v valgrind >/dev/null; then
  echo "memcheck: valgrind is not installed (scripts/deps.sh)" >&2
  exit 1
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
ml="$RG_DATA_DIR/ml-100k"

if [ ! -f "$build/CMakeCache.txt" ]; then # a new build dir: with debug info; else as configured
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" \
  --target reelgraph_cli test_io_real test_split test_khop test_similarity >/dev/null
logs="$build/memcheck"
tmp="$build/memcheck/tmp"
rm -rf "$logs"
mkdir -p "$tmp"
export RG_TEST_TMP="$tmp"

status=0
n_runs=0
vg() { # NAME CMD...: one run under memcheck
  local name=$1; shift
  n_runs=$((n_runs + 1))
  if valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
       --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30 \
       --log-file="$logs/$name.log" "$@" >"$logs/$name.out" 2>&1; then
    printf "memcheck %-28s ok   %s\n" "$name" \
      "$(grep -E 'ERROR SUMMARY' "$logs/$name.log" | sed 's/^==[0-9]*== //')"
  else
    local rc=$?
    status=1
    printf "memcheck %-28s FAIL (exit %d, log %s)\n" "$name" "$rc" "$logs/$name.log"
    grep -E "Invalid|uninitialised|definitely lost|indirectly lost|ERROR SUMMARY" \
      "$logs/$name.log" | head -6 | sed 's/^/    /'
  fi
}

for t in test_io_real test_split test_khop test_similarity; do
  vg "$t" "$build/$t"
done

rg="$build/reelgraph"
vg import "$rg" import "$ml" -o "$tmp/ml100k.rg" --json
vg info "$rg" info "$tmp/ml100k.rg" --json
for kind in bias mf knn-item rp3b; do
  vg "train-$kind" "$rg" train "$tmp/ml100k.rg" --model "$kind" --test-file "$ml/u1.test" \
    --epochs 3 -o "$tmp/$kind.rgm" --json
done
vg eval-mf "$rg" eval "$tmp/mf.rgm" "$tmp/ml100k.rg" --json
vg recommend-user "$rg" recommend "$tmp/mf.rgm" --user 1 -n 10 --json
vg recommend-foldin "$rg" recommend "$tmp/knn-item.rgm" --ratings "50:5,172:4.5,181:4" --json
vg similar-model "$rg" similar "$tmp/mf.rgm" --movie 50 -k 10 --json
vg similar-graph "$rg" similar "$tmp/ml100k.rg" --user 1 -k 10 --json
vg neighbors "$rg" neighbors "$tmp/ml100k.rg" --user 1 --hops 2 --limit 500 --json
vg sample "$rg" sample "$tmp/ml100k.rg" --user 1 --fanout 10,5 --seed 3 --json

rm -rf "$tmp"
echo "memcheck: $n_runs runs, $([ $status -eq 0 ] && echo 'all clean' || echo 'FAILURES above')"
exit $status
