#!/usr/bin/env bash
# import_smoke.sh: synth -> import -> info round trip through the command line, the JSON keys of
# the contract, determinism of synth, and --help of the three commands.
set -euo pipefail
RG="$1"
T="${RG_TEST_TMP:-/tmp}/import_smoke.$$"
DATA="${RG_FIXTURE_DIR:?the fixtures made by tests/data/make_fixtures.py (set by ctest)}"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
has() { grep -q -- "$2" <<<"$1" || fail "expected '$2' in: $1"; }

for cmd in import info synth; do
    "$RG" "$cmd" --help >"$T/help" || fail "$cmd --help exited non-zero"
    grep -q -- "--json" "$T/help" || fail "$cmd --help does not list --json"
done

out=$("$RG" synth -o "$T/syn" --users 300 --movies 200 --ratings 6000 --seed 7 --json)
has "$out" '"users":300'
has "$out" '"movies":200'
has "$out" '"ratings":6000'
for f in ratings.dat movies.dat users.dat; do
    [ -s "$T/syn/$f" ] || fail "synth did not write $f"
done
"$RG" synth -o "$T/syn2" --users 300 --movies 200 --ratings 6000 --seed 7 --json >/dev/null
cmp -s "$T/syn/ratings.dat" "$T/syn2/ratings.dat" || fail "synth is not deterministic"
"$RG" synth -o "$T/syn3" --users 300 --movies 200 --ratings 6000 --seed 8 --json >/dev/null
! cmp -s "$T/syn/ratings.dat" "$T/syn3/ratings.dat" || fail "synth ignores --seed"

out=$("$RG" import "$T/syn" -o "$T/syn.rg" --json --quiet)
has "$out" '"users":300'
has "$out" '"ratings":6000'
has "$out" '"duplicates":0'
has "$out" '"skipped":0'
has "$out" '"movies_without_metadata":0'
has "$out" '"rated_movies":'
has "$out" '"seconds":'

out=$("$RG" info "$T/syn.rg" --json)
has "$out" '"users":300'
has "$out" '"ratings":6000'
has "$out" '"rating_min":1'
has "$out" '"rating_max":5'
has "$out" '"genres":\[{"name":"Action","count":'
has "$out" '"histogram":\[{"rating":1,"count":'
has "$out" '"user_degree":{"min":'
has "$out" '"has_demographics":true'
"$RG" info "$T/syn.rg" | grep -q "user degree" || fail "info text output"

# ml-latest format synth (CSV with quoted titles) imports too
out=$("$RG" synth -o "$T/csv" --users 50 --movies 40 --ratings 500 --format ml-latest --json)
has "$out" '"format":"ml-latest"'
grep -q '"Synthetic Movie 4, The' "$T/csv/movies.csv" || fail "no quoted title in movies.csv"
out=$("$RG" import "$T/csv" -o "$T/csv.rg" --json --quiet)
has "$out" '"ratings":500'
has "$out" '"movies":40'

# the fixtures, every format
out=$("$RG" import "$DATA/ml-100k-mini" -o "$T/a.rg" --json --quiet)
has "$out" '"movies":5'
has "$out" '"rated_movies":4'
out=$("$RG" import "$DATA/ml-1m-mini" -o "$T/b.rg" --format ml-1m --json --quiet)
has "$out" '"duplicates":1'
has "$out" '"movies_without_metadata":1'
out=$("$RG" import "$DATA/ml-latest-mini" -o "$T/c.rg" --json --quiet)
has "$out" '"ratings":6'
out=$("$RG" import "$DATA/ratings-header.csv" -o "$T/d.rg" --format csv --json --quiet)
has "$out" '"ratings":4'
echo "import_smoke: ok"
