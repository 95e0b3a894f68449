#!/usr/bin/env bash
# import_errors.sh: bad input and bad usage exit 1 with a message naming file, line and reason;
# --skip-bad imports the rest and counts the skipped lines; damaged snapshots are refused.
set -euo pipefail
RG="$1"
T="${RG_TEST_TMP:-/tmp}/import_errors.$$"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect CODE TEXT cmd...: runs cmd, checks the exit code and that stderr contains TEXT
expect() {
    local code="$1" text="$2" rc=0
    shift 2
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" -eq "$code" ] || fail "$* exited $rc, expected $code; stderr: $(cat "$T/err")"
    grep -q -- "$text" "$T/err" || fail "$* stderr lacks '$text': $(cat "$T/err")"
}

printf 'user,item,rating\n1,10,4\n2,11,x\n3,12,5\n' >"$T/bad.csv"
expect 1 "bad.csv:3: rating 'x' is not a number" "$RG" import "$T/bad.csv" -o "$T/g.rg"
[ ! -e "$T/g.rg" ] || fail "a failed import left a snapshot behind"
"$RG" import "$T/bad.csv" -o "$T/g.rg" --skip-bad --json --quiet >"$T/out"
grep -q '"skipped":1' "$T/out" || fail "--skip-bad did not count: $(cat "$T/out")"
grep -q '"ratings":2' "$T/out" || fail "--skip-bad lost good lines: $(cat "$T/out")"

mkdir -p "$T/ml"
printf '1::10::5::978300760\n1::11::9::978300761\n' >"$T/ml/ratings.dat"
printf '1::F::1::10::48067\n' >"$T/ml/users.dat"
expect 1 "ratings.dat:2: rating 9 is outside the scale \[1, 5\]" "$RG" import "$T/ml" -o "$T/g2.rg"

expect 1 "missing -o" "$RG" import "$T/bad.csv"
expect 1 "unknown option" "$RG" import "$T/bad.csv" -o "$T/x.rg" --frobnicate
expect 1 "unknown format" "$RG" import "$T/bad.csv" -o "$T/x.rg" --format ml-7m
expect 1 "cannot read" "$RG" import "$T/nope" -o "$T/x.rg"
expect 1 "missing -o" "$RG" synth
expect 1 "do not fit" "$RG" synth -o "$T/s" --users 2 --movies 2 --ratings 100
expect 1 "is not a whole number" "$RG" synth -o "$T/s" --users abc

# damaged snapshots
"$RG" import "$T/bad.csv" -o "$T/g.rg" --skip-bad --quiet >/dev/null
size=$(stat -c %s "$T/g.rg")
head -c $((size - 7)) "$T/g.rg" >"$T/trunc.rg"
expect 1 "truncated" "$RG" info "$T/trunc.rg"
cp "$T/g.rg" "$T/flip.rg"
printf '\x55' | dd of="$T/flip.rg" bs=1 seek=$((size - 3)) conv=notrunc status=none
expect 1 "corrupted" "$RG" info "$T/flip.rg"
expect 1 "not a reelgraph snapshot" "$RG" info "$T/bad.csv"
expect 1 "cannot open" "$RG" info "$T/none.rg"
"$RG" info "$T/g.rg" >/dev/null || fail "the good snapshot no longer loads"
echo "import_errors: ok"
