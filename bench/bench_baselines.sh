#!/usr/bin/env bash
# bench_baselines.sh: accuracy, training time and peak memory of mean, bias and mf on the
# acceptance splits: ML-100K u1.base -> u1.test and ML-1M random 90/10 (seed 42).
# usage: bench/bench_baselines.sh path/to/reelgraph [DATA_DIR]   (DATA_DIR default $RG_DATA_DIR)
# Prints one line per (dataset, model): RMSE, MAE, NDCG@10, train seconds, peak RSS.
set -euo pipefail
RG="$1"
DATA="${2:-${RG_DATA_DIR:?set RG_DATA_DIR or pass the data directory}}"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
num() { sed -E "s/.*\"$2\":(-?[0-9.eE+-]+|null).*/\1/" <<<"$1"; }
run() { # dataset-label graph model split-args...
    local label="$1" graph="$2" model="$3"
    shift 3
    local out
    out=$("$RG" train "$graph" --model "$model" -o "$T/m.rgm" "$@" --json --quiet)
    printf "%-8s %-5s RMSE %s  MAE %s  NDCG@10 %s  train %6.2f s  peak %6.1f MB\n" "$label" \
        "$model" "$(num "$out" rmse | cut -c1-6)" "$(num "$out" mae | cut -c1-6)" \
        "$(num "$out" ndcg_at_k | cut -c1-6)" "$(num "$out" train_seconds)" \
        "$(num "$out" peak_rss_mb)"
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -d "$DATA/ml-100k" ]; then
    "$RG" import "$DATA/ml-100k" -o "$T/100k.rg" >/dev/null 2>&1
    for m in mean bias mf; do
        run ml-100k "$T/100k.rg" "$m" --test-file "$DATA/ml-100k/u1.test"
    done
fi
if [ -d "$DATA/ml-1m" ]; then
    "$RG" import "$DATA/ml-1m" -o "$T/1m.rg" >/dev/null 2>&1
    for m in mean bias mf; do
        run ml-1m "$T/1m.rg" "$m" --split random:0.1 --seed 42
    done
fi
