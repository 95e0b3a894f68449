#!/usr/bin/env bash
# gnn_models.sh: the graph neural models through the command: ggnn and sage train on a small
# synthetic dataset (demographics and genres present) with a random split and early stopping,
# the JSON carries the contract keys and finite metrics clearly better than the global mean's
# (that they beat the bias model on planted structure is test_ggnn / test_sage's job), the
# model file evaluates to the same RMSE, recommend works for a known user and for a folded-in
# new one, the same seed and threads reproduce the RMSE exactly, and bad hyper-parameters exit 1
# with a message.  Runs in a few seconds.
set -euo pipefail
RG="$1"
T="${RG_TEST_TMP:-/tmp}/gnn-models-$$"
rm -rf "$T"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=${PY:-python3}

"$RG" synth -o "$T/data" --users 300 --movies 200 --ratings 12000 --seed 7 >/dev/null
"$RG" import "$T/data" -o "$T/g.rg" >/dev/null 2>&1 || fail "import"
SPLIT=(--split random:0.1 --seed 3 --threads 1 --quiet)

"$RG" train "$T/g.rg" --model mean -o "$T/mean.rgm" "${SPLIT[@]}" --json >"$T/mean.json" ||
    fail "mean train"
for model in ggnn sage; do
    extra=()
    [ "$model" = ggnn ] && extra=(--steps 2 --fanout 16)
    [ "$model" = sage ] && extra=(--fanout 8,4)
    "$RG" train "$T/g.rg" --model $model -o "$T/$model.rgm" "${SPLIT[@]}" --epochs 12 \
        --patience 3 --dim 16 "${extra[@]}" --json >"$T/$model.json" || fail "$model train"
    "$PY" - "$T/$model.json" "$T/mean.json" <<'PYEOF' || fail "$model train JSON"
import json, math, sys
d = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
for k in ("model", "rmse", "mae", "mse", "epochs", "train_seconds"):
    assert k in d, f"missing key {k}"
assert all(math.isfinite(d[k]) for k in ("rmse", "mae", "mse")), d
assert d["rmse"] < b["rmse"] - 0.05, (d["model"], d["rmse"], "mean", b["rmse"])
assert 1 <= d["epochs"] <= 12, d["epochs"]
PYEOF
    "$RG" eval "$T/$model.rgm" --json >"$T/$model.eval.json" || fail "$model eval"
    "$PY" - "$T/$model.json" "$T/$model.eval.json" <<'PYEOF' || fail "$model eval JSON"
import json, sys
t = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[2]))
assert abs(t["rmse"] - e["rmse"]) < 1e-6, (t["rmse"], e["rmse"])
for k in ("precision_at_k", "recall_at_k", "ndcg_at_k", "hit_rate_at_k", "coverage"):
    assert k in e, k
PYEOF
    user=$(head -1 "$T/data/ratings.dat" | cut -d: -f1)
    "$RG" recommend "$T/$model.rgm" --user "$user" -n 5 --json >"$T/$model.rec.json" ||
        fail "$model recommend"
    movies=$(head -3 "$T/data/movies.dat" | cut -d: -f1 | paste -sd, | sed 's/,/:5,/g; s/$/:4/')
    "$RG" recommend "$T/$model.rgm" --ratings "$movies" -n 5 --json >"$T/$model.fold.json" ||
        fail "$model fold-in recommend"
    "$PY" - "$T/$model.rec.json" "$T/$model.fold.json" <<'PYEOF' || fail "$model recommend JSON"
import json, math, sys
for p in sys.argv[1:]:
    d = json.load(open(p))
    assert len(d["items"]) == 5, d
    assert all(math.isfinite(i["score"]) for i in d["items"]), d
PYEOF
    # same seed, same threads: the same model
    "$RG" train "$T/g.rg" --model $model -o "$T/$model.2.rgm" "${SPLIT[@]}" --epochs 12 \
        --patience 3 --dim 16 "${extra[@]}" --json >"$T/$model.2.json" || fail "$model retrain"
    "$PY" -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); \
assert a['rmse'] == b['rmse'], (a['rmse'], b['rmse'])" "$T/$model.json" "$T/$model.2.json" ||
        fail "$model not deterministic"
done

# bad hyper-parameters: exit 1, a message naming the problem
set +e
"$RG" train "$T/g.rg" --model ggnn -o "$T/bad.rgm" --steps 0 --quiet 2>"$T/err1"
rc1=$?
"$RG" train "$T/g.rg" --model sage -o "$T/bad.rgm" --lr -1 --quiet 2>"$T/err2"
rc2=$?
set -e
[ $rc1 -eq 1 ] || fail "ggnn --steps 0 exited $rc1"
grep -q "steps" "$T/err1" || fail "ggnn --steps 0 message: $(cat "$T/err1")"
[ $rc2 -eq 1 ] || fail "sage --lr -1 exited $rc2"
grep -q "lr" "$T/err2" || fail "sage --lr -1 message: $(cat "$T/err2")"
echo "gnn_models: ok"
