#!/usr/bin/env bash
# demo.sh: the main job, from nothing to evaluated recommendations.
# Installs dependencies when missing, builds, then runs
#   synth -> import -> info -> train -> eval -> recommend
# on the embedded synthetic dataset, or on a MovieLens directory given as $1 (or $RG_DATA_DIR,
# which may point at the folder holding ml-100k/). Output goes to out/demo/.
#   MODEL=sage scripts/demo.sh    trains another model (default: mf)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" --target reelgraph_cli >/dev/null
rg=./build/reelgraph
out=out/demo
model=${MODEL:-mf}
user=${RG_DEMO_USER:-1}
mkdir -p "$out"

src="${1:-${RG_DATA_DIR:-}}"
if [ -n "$src" ] && [ -d "$src/ml-100k" ]; then
  src="$src/ml-100k"
fi
if [ -z "$src" ]; then
  echo "== synth: the embedded synthetic dataset (for real data: scripts/demo.sh PATH/TO/ml-100k,"
  echo "   after './build/reelgraph fetch ml-100k -o data')"
  $rg synth -o "$out/synthetic" --seed 42
  src="$out/synthetic"
fi
split=(--split random:0.1 --seed 42)
if [ -f "$src/u1.test" ]; then
  split=(--test-file "$src/u1.test")  # the canonical ML-100K split
fi

echo "== import $src"
$rg import "$src" -o "$out/graph.rg"
echo "== info"
$rg info "$out/graph.rg"
echo "== train $model (${split[*]})"
$rg train "$out/graph.rg" --model "$model" -o "$out/$model.rgm" "${split[@]}" \
    --loss-csv "$out/$model-loss.csv" --plot "$out/$model-loss.svg"
echo "== eval"
$rg eval "$out/$model.rgm" "$out/graph.rg" -k 10
echo "== recommend: top 10 for user $user"
$rg recommend "$out/$model.rgm" --user "$user" -n 10
echo "== done: loss curve in $out/$model-loss.svg, model in $out/$model.rgm"
