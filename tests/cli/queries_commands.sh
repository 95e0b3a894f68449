#!/usr/bin/env bash
# queries_commands.sh: `reelgraph neighbors | sample | similar | analyze | export` on a hand-made
# graph with known answers (neighbourhoods, cosine values, components, GraphML counts), the
# exit codes of bad usage, and, when $RG_DATA_DIR is set, ML-100K user 1's neighbours against a
# direct scan of u.data.
set -euo pipefail
rg="$1"
. "$(dirname "$0")/lib/tiny_graph.sh"
# users 1..4, movies 10..40; u4 - m40 is a second component
tiny_setup queries
"$rg" import "$tmp/tiny.csv" -o "$tmp/tiny.rg" --format csv >/dev/null 2>&1 || fail "import"
g="$tmp/tiny.rg"

# ---- --help of every command exits 0 and names its flags ----
for c in neighbors sample similar analyze export; do
    "$rg" "$c" --help > "$tmp/help" || fail "$c --help exit"
    grep -q -- "--json" "$tmp/help" || fail "$c --help lists no --json"
done
grep -q -- "--limit" <("$rg" neighbors --help) || fail "neighbors --help lacks --limit"
grep -q -- "--fanout" <("$rg" sample --help) || fail "sample --help lacks --fanout"
grep -q -- "--metric" <("$rg" similar --help) || fail "similar --help lacks --metric"
grep -q -- "--graphml" <("$rg" export --help) || fail "export --help lacks --graphml"

# ---- neighbors ----
"$rg" neighbors "$g" --user 1 --hops 2 --json > "$tmp/n.json" || fail "neighbors exit"
python3 - "$tmp/n.json" <<'PY' || fail "neighbors content"
import json, sys
d = json.load(open(sys.argv[1]))
got = [(n["type"], n["id"], n["hop"], n["rating"]) for n in d["nodes"]]
want = [("movie", 10, 1, 5), ("movie", 20, 1, 3), ("movie", 30, 1, 4),
        ("user", 2, 2, 4), ("user", 3, 2, 5)]
assert got == want, got
PY
"$rg" neighbors "$g" --movie 20 --hops 3 --limit 2 --json > "$tmp/n2.json" || fail "limit exit"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['nodes'])==2 and d['truncated'], d" "$tmp/n2.json" || fail "neighbors --limit"

# ---- sample: reproducible, all neighbours under the fan-out, hop structure ----
"$rg" sample "$g" --user 1 --fanout 2,5 --seed 9 --json > "$tmp/s1.json" || fail "sample exit"
"$rg" sample "$g" --user 1 --fanout 2,5 --seed 9 --json > "$tmp/s2.json"
cmp -s "$tmp/s1.json" "$tmp/s2.json" || fail "sample not reproducible for a seed"
python3 - "$tmp/s1.json" <<'PY' || fail "sample content"
import json, sys
d = json.load(open(sys.argv[1]))
l1, l2 = d["layers"]
assert len(l1) == 2 and all(n["type"] == "movie" for n in l1), l1
assert len({n["id"] for n in l1}) == 2
raters = {10: {1, 2}, 20: {1, 2, 3}, 30: {1, 3}}
# fan-out 5 exceeds every movie's degree: hop 2 lists all raters of each hop-1 movie
for m in l1:
    got = {n["id"] for n in l2 if n["via"] == m["id"]}
    assert got == raters[m["id"]], (m, got)
PY

# ---- similar: cosine with full norms, by hand: u1.u2 = 26/sqrt(50*20), u1.u3 = 19/sqrt(50*26) ----
"$rg" similar "$g" --user 1 -k 3 --json > "$tmp/sim.json" || fail "similar exit"
python3 - "$tmp/sim.json" <<'PY' || fail "similar values"
import json, math, sys
d = json.load(open(sys.argv[1]))
nb = d["neighbors"]
assert [n["id"] for n in nb] == [2, 3], nb
assert abs(nb[0]["score"] - 26 / math.sqrt(1000)) < 1e-5
assert abs(nb[1]["score"] - 19 / math.sqrt(1300)) < 1e-5
PY
"$rg" similar "$g" --user 2 --metric pearson --min-common 2 --json > "$tmp/simp.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert [n['id'] for n in d['neighbors']]==[1], d" "$tmp/simp.json" || fail "similar --min-common"

# ---- analyze: two components, projection u1-u2, u1-u3, u2-u3 ----
"$rg" analyze "$g" --min-common 1 --json > "$tmp/a.json" || fail "analyze exit"
python3 - "$tmp/a.json" <<'PY' || fail "analyze content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["components"]["count"] == 2 and d["components"]["largest"] == 6
p = d["projection"]
assert p["edges"] == 3 and p["components"] == 2
assert p["pagerank_top"][0]["id"] == 1
assert abs(sum(x["score"] for x in p["pagerank_top"]) - 1) < 1e-6
PY

# ---- export ----
"$rg" export "$g" --graphml "$tmp/all.graphml" --json > "$tmp/e.json" || fail "export exit"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['nodes']==8 and d['edges']==8, d" "$tmp/e.json" || fail "export counts"
"$rg" export "$g" --graphml "$tmp/sub.graphml" --movie 10 --hops 1 --json > "$tmp/e2.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['nodes']==3 and d['edges']==2, d" "$tmp/e2.json" || fail "export neighbourhood counts"
[ "$(grep -c '<edge ' "$tmp/sub.graphml")" = 2 ] || fail "export neighbourhood edges in file"
if command -v xmllint >/dev/null; then
    xmllint --noout "$tmp/all.graphml" "$tmp/sub.graphml" || fail "GraphML does not validate"
fi

# ---- bad usage: exit 1 with a message naming the problem ----
expect1() {
    local what="$1"; shift
    set +e; "$@" > /dev/null 2> "$tmp/err"; local rc=$?; set -e
    [ "$rc" = 1 ] || fail "$what: exit $rc, expected 1"
    [ -s "$tmp/err" ] || fail "$what: no message on stderr"
}
expect1 "no node" "$rg" neighbors "$g"
expect1 "unknown user" "$rg" neighbors "$g" --user 99
grep -q "99" "$tmp/err" || fail "unknown user message does not name the id"
expect1 "both nodes" "$rg" sample "$g" --user 1 --movie 10 --fanout 2
expect1 "bad fanout" "$rg" sample "$g" --user 1 --fanout 2,x
expect1 "no fanout" "$rg" sample "$g" --user 1
expect1 "bad metric" "$rg" similar "$g" --user 1 --metric jaccard
expect1 "missing graph" "$rg" similar "$tmp/none.rg" --user 1
expect1 "not a graph" "$rg" similar "$tmp/tiny.csv" --user 1
expect1 "export without output" "$rg" export "$g"
expect1 "hops without node" "$rg" export "$g" --graphml "$tmp/x.graphml" --hops 2
expect1 "bad projection" "$rg" analyze "$g" --project items
expect1 "edge cap" "$rg" analyze "$g" --min-common 1 --max-edges 2

# ---- real data: ML-100K user 1 against u.data ----
if [ -n "${RG_DATA_DIR:-}" ] && [ -f "$RG_DATA_DIR/ml-100k/u.data" ]; then
    "$rg" import "$RG_DATA_DIR/ml-100k" -o "$tmp/ml100k.rg" >/dev/null 2>&1 || fail "import ml-100k"
    "$rg" neighbors "$tmp/ml100k.rg" --user 1 --json > "$tmp/u1.json"
    python3 - "$tmp/u1.json" "$RG_DATA_DIR/ml-100k/u.data" <<'PY' || fail "ML-100K user 1"
import json, sys
d = json.load(open(sys.argv[1]))
want = {}
for line in open(sys.argv[2]):
    u, m, r, t = line.split("\t")
    if u == "1":
        want[int(m)] = float(r)
got = {n["id"]: n["rating"] for n in d["nodes"]}
assert got == want and len(d["nodes"]) == len(want), (len(got), len(want))
PY
else
    echo "SKIP: RG_DATA_DIR not set; ML-100K check not run"
fi
echo "queries_commands: ok"
