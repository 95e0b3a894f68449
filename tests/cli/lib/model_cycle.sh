# model_cycle.sh: shared steps of the model shell tests (sourced, not run as a test; tests/cli/*.sh
# are globbed as tests, this folder is not).
#   model_setup NAME SEED    scratch dir $T (removed on exit), a synthetic dataset from SEED
#                            imported to $T/g.rg, $SPLIT, and the mean model's JSON in
#                            $T/mean.json as the bar to beat
#   model_cycle MODEL EPOCHS MARGIN [TRAIN ARGS...]
#                            train MODEL for at most EPOCHS epochs with TRAIN ARGS and check the
#                            JSON keys, finite metrics, RMSE at least MARGIN below the mean's, the
#                            epoch count; eval of the model file gives the same RMSE and the
#                            ranking keys; recommend for a known user and a folded-in new one gives
#                            5 finite items; retraining with the same seed and threads gives the
#                            same RMSE
#   train_refused MODEL WORD ARGS...
#                            training MODEL with bad ARGS exits 1 with a message naming WORD
# All need RG (the command) and fail on the first broken step.
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=${PY:-python3}

model_setup() {
    T="${RG_TEST_TMP:-/tmp}/$1-$$"
    rm -rf "$T"
    mkdir -p "$T"
    trap 'rm -rf "$T"' EXIT
    "$RG" synth -o "$T/data" --users 300 --movies 200 --ratings 12000 --seed "$2" >/dev/null
    "$RG" import "$T/data" -o "$T/g.rg" >/dev/null 2>&1 || fail "import"
    SPLIT=(--split random:0.1 --seed 3 --threads 1 --quiet)
    "$RG" train "$T/g.rg" --model mean -o "$T/mean.rgm" "${SPLIT[@]}" --json >"$T/mean.json" ||
        fail "mean train"
}

model_cycle() {
    local model="$1" epochs="$2" margin="$3"
    shift 3
    "$RG" train "$T/g.rg" --model "$model" -o "$T/$model.rgm" "${SPLIT[@]}" --epochs "$epochs" \
        "$@" --json >"$T/$model.json" || fail "$model train"
    "$PY" - "$T/$model.json" "$T/mean.json" "$margin" "$epochs" <<'PYEOF' ||
import json, math, sys
d = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
margin = float(sys.argv[3]); epochs = int(sys.argv[4])
for k in ("model", "rmse", "mae", "mse", "epochs", "train_seconds"):
    assert k in d, f"missing key {k}"
assert all(math.isfinite(d[k]) for k in ("rmse", "mae", "mse")), d
assert d["rmse"] < b["rmse"] - margin, (d["model"], d["rmse"], "mean", b["rmse"])
assert 1 <= d["epochs"] <= epochs, d["epochs"]
PYEOF
        fail "$model train JSON"
    "$RG" eval "$T/$model.rgm" --json >"$T/$model.eval.json" || fail "$model eval"
    "$PY" - "$T/$model.json" "$T/$model.eval.json" <<'PYEOF' || fail "$model eval JSON"
import json, sys
t = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[2]))
assert abs(t["rmse"] - e["rmse"]) < 1e-6, (t["rmse"], e["rmse"])
for k in ("precision_at_k", "recall_at_k", "ndcg_at_k", "hit_rate_at_k", "coverage"):
    assert k in e, k
PYEOF
    local user movies
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
    "$RG" train "$T/g.rg" --model "$model" -o "$T/$model.2.rgm" "${SPLIT[@]}" --epochs "$epochs" \
        "$@" --json >"$T/$model.2.json" || fail "$model retrain"
    "$PY" -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); \
assert a['rmse'] == b['rmse'], (a['rmse'], b['rmse'])" "$T/$model.json" "$T/$model.2.json" ||
        fail "$model not deterministic"
}

train_refused() {
    local model="$1" word="$2" rc=0
    shift 2
    "$RG" train "$T/g.rg" --model "$model" -o "$T/bad.rgm" "$@" --quiet 2>"$T/err" || rc=$?
    [ $rc -eq 1 ] || fail "$model $* exited $rc"
    grep -q -- "$word" "$T/err" || fail "$model $* message: $(cat "$T/err")"
}
