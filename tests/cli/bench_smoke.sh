#!/usr/bin/env bash
# bench_smoke.sh: a quick run of the benchmark suite (bench/suite.sh --quick) so it cannot rot:
# ML-100K u1, 2 epochs of mean, bias, mf, pop and sage, the peer-free path (--no-peers), and the
# tables it writes (every run ok, metrics in sane ranges, the reference section, loss curves);
# then one PyTorch peer (mf, 1 epoch) on its own when /usr/bin/python3 has torch.
# Needs $RG_DATA_DIR/ml-100k; without it prints SKIP and passes.
set -euo pipefail
RG="$1"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${RG_DATA_DIR:-}" ] || [ ! -f "$RG_DATA_DIR/ml-100k/u1.test" ]; then
    echo "SKIP: bench_smoke needs RG_DATA_DIR with ml-100k (RG_DATA_DIR='${RG_DATA_DIR:-}')"
    exit 0
fi
PY=${PY:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1
if [ ! -x "$PY" ]; then
    echo "SKIP: bench_smoke needs $PY for the suite's tables"
    exit 0
fi
T="${RG_TEST_TMP:-/tmp}/bench-smoke-$$"
rm -rf "$T"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

bash "$ROOT/bench/suite.sh" --quick --no-peers --bin "$RG" --out "$T/out" \
    --models "mean bias mf pop sage" --timebox 120 2>"$T/suite.err" ||
    fail "suite.sh exited $?: $(tail -5 "$T/suite.err")"
CSV="$T/out/results.csv"
[ -s "$CSV" ] || fail "no results.csv"
[ -s "$T/out/RESULTS.md" ] || fail "no RESULTS.md"
"$PY" - "$CSV" <<'PYEOF' || fail "results.csv checks"
import csv, sys
rows = {r["model"]: r for r in csv.DictReader(open(sys.argv[1])) if r["section"] == "u1"}
want = {"mean", "bias", "mf", "pop", "sage"}
assert set(rows) == want, f"models in the table: {sorted(rows)}"
for m, r in rows.items():
    assert r["status"] == "ok", f"{m}: {r['status']} {r['note']}"
    assert float(r["peak_rss_mb"]) > 1, f"{m}: peak memory {r['peak_rss_mb']}"
    assert float(r["train_seconds"]) >= 0, m
rmse = {m: float(rows[m]["rmse"]) for m in ("mean", "bias", "mf", "sage")}
assert 1.10 < rmse["mean"] < 1.20, rmse           # global mean on u1 is 1.154
assert rmse["bias"] < rmse["mean"] - 0.1, rmse    # biases are worth ~0.2 on u1
for m in ("mf", "sage"):
    assert 0.85 < rmse[m] < 1.10, rmse             # 2 epochs: learning, not converged
assert rows["pop"]["rmse"] == "", "pop predicts no ratings"
ndcg = float(rows["pop"]["ndcg_at_10"])
assert 0.20 < ndcg < 0.29, ndcg                     # popularity NDCG@10 on u1 is 0.245
PYEOF
for s in "## Every model on ML-100K u1" "## Reference figures" "| mf | ok |" "load average"; do
    grep -qF "$s" "$T/out/RESULTS.md" || fail "RESULTS.md lacks '$s'"
done
for m in mf sage; do
    [ "$(head -c 4 "$T/out/curves/u1-$m.png" | tail -c 3)" = PNG ] || fail "no loss curve for $m"
done

if "$PY" -c "import torch" 2>/dev/null; then
    D="$RG_DATA_DIR/ml-100k"
    OMP_WAIT_POLICY=passive "$PY" "$ROOT/bench/peers/mf.py" --data "$D" --train "$D/u1.base" \
        --test "$D/u1.test" --epochs 1 --threads 1 >"$T/peer.json" 2>"$T/peer.err" ||
        fail "peer mf: $(tail -3 "$T/peer.err")"
    "$PY" - "$T/peer.json" <<'PYEOF' || fail "peer JSON: $(cat "$T/peer.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["model"] == "mf" and j["epochs"] == 1 and j["n_train"] == 80000, j
assert 0.9 < j["rmse"] < 1.1 and j["seconds_per_epoch"] > 0, j
PYEOF
else
    echo "SKIP: peer check ($PY has no torch)"
fi
echo "bench_smoke: ok"
