#!/usr/bin/env bash
# test.sh: install dependencies when missing, build, and run every test (ctest).
# Real-data tests read MovieLens from $RG_DATA_DIR (default ../shared/data when it exists); without
# it they print SKIP and the rest still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ -z "${RG_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  RG_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export RG_DATA_DIR="${RG_DATA_DIR:-}"
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRG_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
cd build
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} ctest --output-on-failure -j"$jobs"
