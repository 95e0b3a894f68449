#!/usr/bin/env bash
# demo.sh: the main job. Installs dependencies when missing, builds, then runs the pipeline on the
# embedded synthetic dataset (or on a MovieLens directory given as $1 or $RG_DATA_DIR):
#   synth -> import -> info -> train -> eval -> recommend
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" --target reelgraph_cli >/dev/null
rg=./build/reelgraph
out=out/demo
mkdir -p "$out"

src="${1:-${RG_DATA_DIR:-}}"
if [ -z "$src" ]; then
  echo "== synthetic dataset (run on MovieLens: scripts/demo.sh PATH/TO/ml-100k)"
  $rg synth -o "$out/synthetic" --seed 42
  src="$out/synthetic"
fi
echo "== import $src"
$rg import "$src" -o "$out/graph.rg"
echo "== info"
$rg info "$out/graph.rg"
