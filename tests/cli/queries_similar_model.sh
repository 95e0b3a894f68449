#!/usr/bin/env bash
# queries_similar_model.sh: `reelgraph similar MODEL`: a model with embeddings (mf) answers from
# its user_emb / movie_emb by cosine; a neighbourhood model (knn-user) from its stored neighbour
# lists; a model with neither (bias) from co-ratings on the training graph it recorded, i.e.
# without the held-out ratings (checked against hand values).
set -euo pipefail
rg="$1"
. "$(dirname "$0")/lib/tiny_graph.sh"
tiny_setup queries_model
printf '2,20,2,104\n' > "$tmp/held.csv"
"$rg" import "$tmp/tiny.csv" -o "$tmp/tiny.rg" --format csv >/dev/null 2>&1 || fail "import"

# bias keeps neither embeddings nor neighbour lists: similarity on the training graph, where
# (u2, m20) is held out, so u1.u2 = 5*4 / sqrt(50 * 16) over one co-rating (it is
# 26 / sqrt(1000) on the full graph)
"$rg" train "$tmp/tiny.rg" --model bias -o "$tmp/bias.rgm" --test-file "$tmp/held.csv" \
    >/dev/null 2>&1 || fail "train bias"
"$rg" similar "$tmp/bias.rgm" --user 1 --json > "$tmp/k.json" || fail "similar bias model exit"
python3 - "$tmp/k.json" <<'PY' || fail "similar on the training graph"
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["basis"] == "training graph", d
nb = {n["id"]: n for n in d["neighbors"]}
assert abs(nb[2]["score"] - 20 / math.sqrt(800)) < 1e-5 and nb[2]["common"] == 1, nb
assert abs(nb[3]["score"] - 19 / math.sqrt(1300)) < 1e-5 and nb[3]["common"] == 2, nb
PY

# knn-user answers from its stored neighbour lists: other users only, best first
"$rg" train "$tmp/tiny.rg" --model knn-user -o "$tmp/knn.rgm" --test-file "$tmp/held.csv" \
    >/dev/null 2>&1 || fail "train knn-user"
"$rg" similar "$tmp/knn.rgm" --user 1 --json > "$tmp/n.json" || fail "similar knn model exit"
python3 - "$tmp/n.json" <<'PY' || fail "similar from neighbour lists"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["basis"] == "neighbour lists" and d["metric"] == "pearson-base", d
s = [n["score"] for n in d["neighbors"]]
assert s and s == sorted(s, reverse=True), s
assert all(n["id"] in (2, 3, 4) for n in d["neighbors"]), d
PY

# mf has embeddings: cosine of user_emb rows, sorted, within [-1, 1], k respected
"$rg" train "$tmp/tiny.rg" --model mf -o "$tmp/mf.rgm" --test-file "$tmp/held.csv" --epochs 2 \
    >/dev/null 2>&1 || fail "train mf"
"$rg" similar "$tmp/mf.rgm" --movie 10 -k 2 --json > "$tmp/m.json" || fail "similar mf exit"
python3 - "$tmp/m.json" <<'PY' || fail "similar on embeddings"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["basis"] == "embeddings", d
s = [n["score"] for n in d["neighbors"]]
assert len(s) == 2 and all(-1.0001 <= x <= 1.0001 for x in s) and s == sorted(s, reverse=True), s
assert all(n["id"] in (20, 30, 40) for n in d["neighbors"]), d
PY

# an id the model's graph lacks
set +e; "$rg" similar "$tmp/mf.rgm" --user 77 > /dev/null 2> "$tmp/err"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q 77 "$tmp/err" || fail "unknown user on a model: exit $rc"
echo "queries_similar_model: ok"
