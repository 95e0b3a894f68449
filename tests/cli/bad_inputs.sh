#!/usr/bin/env bash
# bad_inputs.sh: what the command line does with bad inputs (the rows of docs/robustness.md that
# are about commands): malformed --ratings lists, a file that is not a snapshot or a model, an
# empty import followed by train, a huge line without line ends.  Each must exit 1 with a
# message naming the problem, never crash (exit >= 2 or a signal).
set -euo pipefail
RG="$1"
T="${RG_TEST_TMP:-/tmp}/bad_inputs.$$"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect CODE PATTERN CMD...: exit status CODE and PATTERN (grep -E) on stderr
expect() {
    local code=$1 pat=$2; shift 2
    local rc=0
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" -eq "$code" ] || fail "exit $rc (expected $code) from: $* -- $(cat "$T/err")"
    grep -Eq -- "$pat" "$T/err" || fail "expected /$pat/ on stderr of: $* -- got: $(cat "$T/err")"
}

"$RG" synth -o "$T/d" --users 60 --movies 40 --ratings 1200 --seed 3 >/dev/null 2>&1
"$RG" import "$T/d" -o "$T/g.rg" >/dev/null 2>&1
"$RG" train "$T/g.rg" --model mf --epochs 2 -o "$T/mf.rgm" >/dev/null 2>&1
m=$(head -1 "$T/d/movies.dat" | cut -d: -f1)

# --ratings lists
expect 1 "expected MOVIE:RATING" "$RG" recommend "$T/mf.rgm" --ratings "$m"
expect 1 "expected MOVIE:RATING" "$RG" recommend "$T/mf.rgm" --ratings ":4"
expect 1 "expected MOVIE:RATING" "$RG" recommend "$T/mf.rgm" --ratings "99999999999999999999:4"
expect 1 "bad rating" "$RG" recommend "$T/mf.rgm" --ratings "$m:"
expect 1 "bad rating" "$RG" recommend "$T/mf.rgm" --ratings "$m:4x"
expect 1 "expected MOVIE:RATING" "$RG" recommend "$T/mf.rgm" --ratings "$m:4,,"
expect 1 "not in the graph" "$RG" recommend "$T/mf.rgm" --ratings "987654321:4"
expect 1 "outside the scale" "$RG" recommend "$T/mf.rgm" --ratings "$m:9"
expect 1 "outside the scale" "$RG" recommend "$T/mf.rgm" --ratings "$m:nan"
expect 1 "given twice" "$RG" recommend "$T/mf.rgm" --ratings "$m:4,$m:3"

# files that are not what they claim
printf 'hello' >"$T/tiny"
head -c 100000 /dev/urandom >"$T/noise"
expect 1 "not a reelgraph snapshot" "$RG" info "$T/tiny"
expect 1 "not a reelgraph snapshot" "$RG" info "$T/noise"
expect 1 "not a reelgraph model file|truncated" "$RG" recommend "$T/tiny" --user 1
expect 1 "not a reelgraph model file" "$RG" recommend "$T/noise" --user 1
expect 1 "not a reelgraph model file" "$RG" eval "$T/g.rg" "$T/g.rg"

# an empty or header-only ratings file imports as an empty graph; training on it is refused
: >"$T/empty.csv"
printf 'userId,movieId,rating,timestamp\n' >"$T/header.csv"
for f in empty header; do
    "$RG" import "$T/$f.csv" -o "$T/$f.rg" --json 2>/dev/null | grep -q '"ratings":0' ||
        fail "$f.csv should import as an empty graph"
    expect 1 "no ratings" "$RG" train "$T/$f.rg" --model mf -o "$T/x.rgm"
    expect 1 "no ratings" "$RG" train "$T/$f.rg" --model rp3b -o "$T/x.rgm"
done
[ ! -e "$T/x.rgm" ] || fail "a refused train wrote a model file"

# 17 MiB without a line end
head -c $((17 << 20)) /dev/zero | tr '\0' 'x' >"$T/long.csv"
expect 1 "long.csv:1: line longer than 16 MiB" "$RG" import "$T/long.csv" -o "$T/long.rg"
[ ! -e "$T/long.rg" ] || fail "a refused import wrote a snapshot"
echo "bad inputs: every case exit 1 with its message"
