#!/usr/bin/env bash
# bench_content.sh: the acceptance figures of the genre models, through bench_content.
#   ML-100K u1.base -> u1.test: autoencoder held-out reconstruction MSE (<= 0.0457), content RMSE
#   (<= 1.000), hybrid RMSE against each of its parts; ML-1M random 90/10 (seed 42): training
#   time of each (< 60 s) and RMSE.
# Usage: bench/bench_content.sh BUILD_DIR [DATA_DIR]   (DATA_DIR defaults to $RG_DATA_DIR)
# Run once, on a quiet machine: wall times are meaningless under load, CPU times much less so.
set -euo pipefail
B="$1/bench_content"
D="${2:-${RG_DATA_DIR:?set RG_DATA_DIR or pass DATA_DIR}}"
[ -x "$B" ] || { echo "build the bench target first: cmake --build $1 --target bench" >&2; exit 1; }

echo "== ML-100K u1"
for m in autoencoder content bias mf knn-item hybrid; do
    "$B" "$D/ml-100k" "$m" --test-file "$D/ml-100k/u1.test" | grep -v '^  epoch'
done
echo "== ML-1M random 0.1, seed 42"
for m in autoencoder content hybrid; do
    "$B" "$D/ml-1m" "$m" --random 0.1 --seed 42 | grep -v '^  epoch'
done
