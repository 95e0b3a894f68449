#!/usr/bin/env bash
# topn_u1.sh: the top-N comparison on ML-100K u1 (DESIGN.md protocol: for each test user every
# movie not rated in u1.base is ranked; relevant = u1.test ratings >= 4).  Imports ML-100K,
# trains each model with its defaults on u1.base (--test-file u1.test), re-evaluates the saved
# model file with `reelgraph eval` (the figures must agree), and prints a Markdown table.
#
# usage: bench/topn_u1.sh [REELGRAPH] [MODEL...]
#   REELGRAPH  the built command (default build/reelgraph)
#   MODEL      models to run (default: pop rp3b bpr knn-user knn-item mf)
# Data: $RG_DATA_DIR/ml-100k (default /work/shared/data).  Needs python3 for the JSON.
# Hyper-parameter defaults were tuned on validation splits of u1.base, never on u1.test.
set -euo pipefail

BIN=${1:-build/reelgraph}
shift || true
MODELS=("$@")
if [ ${#MODELS[@]} -eq 0 ]; then
    MODELS=(pop rp3b bpr knn-user knn-item mf)
fi
DATA=${RG_DATA_DIR:-/work/shared/data}/ml-100k
if [ ! -f "$DATA/u1.test" ]; then
    echo "topn_u1.sh: $DATA/u1.test not found (set RG_DATA_DIR)" >&2
    exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$BIN" import "$DATA" -o "$TMP/ml100k.rg" --quiet >/dev/null

row() { # model train.json eval.json -> one Markdown row; fails when train and eval disagree
    python3 - "$@" <<'EOF'
import json, sys
name, tj, ej = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
for key in ("precision_at_k", "recall_at_k", "ndcg_at_k", "hit_rate_at_k", "coverage", "rmse"):
    a, b = tj.get(key), ej.get(key)
    if (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-6):
        sys.exit(f"topn_u1.sh: {name}: {key} from train ({a}) and eval ({b}) disagree")
f = lambda v: "-" if v is None else f"{v:.4f}"
print(f"| {name} | {f(tj['rmse'])} | {f(tj['precision_at_k'])} | {f(tj['recall_at_k'])} | "
      f"{f(tj['ndcg_at_k'])} | {f(tj['hit_rate_at_k'])} | {f(tj['coverage'])} | "
      f"{tj['train_seconds']:.2f} | {tj['peak_rss_mb']:.0f} |")
EOF
}

echo "| model | RMSE | P@10 | R@10 | NDCG@10 | HR@10 | coverage | train s | peak MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for model in "${MODELS[@]}"; do
    "$BIN" train "$TMP/ml100k.rg" --model "$model" -o "$TMP/$model.rgm" \
        --test-file "$DATA/u1.test" --json --quiet >"$TMP/$model.train.json"
    "$BIN" eval "$TMP/$model.rgm" --json >"$TMP/$model.eval.json"
    row "$model" "$TMP/$model.train.json" "$TMP/$model.eval.json"
done
