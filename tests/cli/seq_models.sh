#!/usr/bin/env bash
# seq_models.sh: the sequence models through the command: rnn and lstm train on a small
# synthetic dataset (timestamps increase per user) with a temporal split (the last rating of
# each user held out) and early stopping; the JSON carries the contract keys and finite metrics
# better than the global mean's; the model file evaluates to the same RMSE; recommend works for a
# known user and for a folded-in new one; the same seed and threads reproduce the RMSE exactly;
# bad hyper-parameters exit 1 with a message.  Runs in a few seconds.
set -euo pipefail
RG="$1"
T="${RG_TEST_TMP:-/tmp}/seq-models-$$"
rm -rf "$T"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=${PY:-python3}

"$RG" synth -o "$T/data" --users 300 --movies 200 --ratings 12000 --seed 5 >/dev/null
"$RG" import "$T/data" -o "$T/g.rg" >/dev/null 2>&1 || fail "import"
SPLIT=(--split random:0.1 --seed 3 --threads 1 --quiet)

"$RG" train "$T/g.rg" --model mean -o "$T/mean.rgm" "${SPLIT[@]}" --json >"$T/mean.json" ||
    fail "mean train"
for model in rnn lstm; do
    "$RG" train "$T/g.rg" --model $model -o "$T/$model.rgm" "${SPLIT[@]}" --epochs 8 \
        --window 16 --json >"$T/$model.json" || fail "$model train"
    "$PY" - "$T/$model.json" "$T/mean.json" <<'PYEOF' || fail "$model train JSON"
import json, math, sys
d = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
for k in ("model", "rmse", "mae", "mse", "epochs", "train_seconds"):
    assert k in d, f"missing key {k}"
assert all(math.isfinite(d[k]) for k in ("rmse", "mae", "mse")), d
assert d["rmse"] < b["rmse"] - 0.02, (d["model"], d["rmse"], "mean", b["rmse"])
assert 1 <= d["epochs"] <= 8, d["epochs"]
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
    "$RG" train "$T/g.rg" --model $model -o "$T/$model.2.rgm" "${SPLIT[@]}" --epochs 8 \
        --window 16 --json >"$T/$model.2.json" || fail "$model retrain"
    "$PY" -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); \
assert a['rmse'] == b['rmse'], (a['rmse'], b['rmse'])" "$T/$model.json" "$T/$model.2.json" ||
        fail "$model not deterministic"
done

# the last rating of each user by time held out: the ranking metrics are defined
"$RG" train "$T/g.rg" --model lstm -o "$T/tmp.rgm" --split temporal:1 --seed 3 --threads 1 \
    --quiet --epochs 3 --json >"$T/temporal.json" || fail "lstm temporal train"

# bad hyper-parameters: exit 1, a message naming the problem
set +e
"$RG" train "$T/g.rg" --model rnn -o "$T/bad.rgm" --dropout 1 --quiet 2>"$T/err1"
rc1=$?
"$RG" train "$T/g.rg" --model lstm -o "$T/bad.rgm" --lr -1 --quiet 2>"$T/err2"
rc2=$?
set -e
[ $rc1 -eq 1 ] || fail "rnn --dropout 1 exited $rc1"
grep -q "dropout" "$T/err1" || fail "rnn --dropout 1 message: $(cat "$T/err1")"
[ $rc2 -eq 1 ] || fail "lstm --lr -1 exited $rc2"
grep -q "lr" "$T/err2" || fail "lstm --lr -1 message: $(cat "$T/err2")"
echo "seq_models: ok"
