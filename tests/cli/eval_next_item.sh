#!/usr/bin/env bash
# eval_next_item.sh: `reelgraph eval --protocol next-item` on a sequence model trained with the
# leave-last-out split: one target per timed user, HR/NDCG in range, the popularity ranking on the
# same split beside it, and a clear usage error for an unknown protocol.
set -euo pipefail
rg="$1"
tmp="${RG_TEST_TMP:-/tmp}/next_item.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$rg" synth -o "$tmp/syn" --users 300 --movies 200 --ratings 9000 --seed 7 >/dev/null
"$rg" import "$tmp/syn" -o "$tmp/g.rg" >/dev/null 2>&1
"$rg" train "$tmp/g.rg" --model rnn -o "$tmp/rnn.rgm" --split temporal:1 --epochs 2 --quiet \
    >/dev/null || fail "train rnn"
"$rg" eval "$tmp/rnn.rgm" --protocol next-item -k 10 --json > "$tmp/e.json" || fail "eval exit"
python3 - "$tmp/e.json" <<'PY' || fail "next-item JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["protocol"] == "next-item" and d["k"] == 10, d
assert d["users"] == 300, d   # synth gives every user timestamps: one target each
for r in (d, d["popularity"]):
    assert 0 <= r["ndcg_at_k"] <= r["hit_rate_at_k"] <= 1, r
    assert 0 <= r["mean_rank"] < 200, r
PY
set +e
"$rg" eval "$tmp/rnn.rgm" --protocol bogus 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "unknown protocol gave exit $rc"
grep -q "expected ratings or next-item" "$tmp/err" || fail "message: $(cat "$tmp/err")"
echo "eval_next_item: ok"
