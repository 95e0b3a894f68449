#!/usr/bin/env bash
# crash_safety.sh: SIGKILL `reelgraph import` and `reelgraph train` at random moments while they
# replace an existing snapshot / model file, many times.  After every kill the target must be
# either the old file, byte for byte, or a complete new one that loads (checksums verified by
# `info` / `recommend`).  Kill times are drawn (seeded) from the second half of a measured run,
# where the file is written, and a few from anywhere.  Temporary files a killed writer leaves
# beside the target (NAME.tmp*) are counted and removed; they never replace the target.
# Usage: crash_safety.sh REELGRAPH [ROUNDS]   ($RG_TEST_TMP: scratch)
set -euo pipefail
RG="$1"
ROUNDS="${2:-${RG_CRASH_ROUNDS:-25}}"
T="${RG_TEST_TMP:-/tmp}/crash_safety.$$"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
RANDOM=20261127

fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
sum() { sha256sum "$1" | cut -d' ' -f1; }

# kill_at MS CMD...: runs CMD in the background, SIGKILLs it after MS milliseconds (if still
# running); returns 0 when it was killed, 1 when it had finished
kill_at() {
    local ms=$1; shift
    "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        return 0
    fi
    wait "$pid" 2>/dev/null || true
    return 1
}

# pick_ms RUN_MS: mostly uniform in [RUN_MS/2, 1.1 RUN_MS], one in five uniform in [0, RUN_MS]
pick_ms() {
    local run=$1
    if [ $((RANDOM % 5)) -eq 0 ]; then
        echo $(( (RANDOM * 32768 + RANDOM) % (run + 1) ))
    else
        echo $(( run / 2 + (RANDOM * 32768 + RANDOM) % (run * 6 / 10 + 1) ))
    fi
}

"$RG" synth -o "$T/a" --users 3000 --movies 1500 --ratings 150000 --seed 1 >/dev/null 2>&1
"$RG" synth -o "$T/b" --users 4000 --movies 2000 --ratings 300000 --seed 2 >/dev/null 2>&1

# ---- snapshots ----
"$RG" import "$T/a" -o "$T/old.rg" >/dev/null 2>&1
"$RG" import "$T/b" -o "$T/new.rg" >/dev/null 2>&1
old=$(sum "$T/old.rg") new=$(sum "$T/new.rg")
[ "$old" != "$new" ] || fail "the two snapshots should differ"
cp "$T/old.rg" "$T/target.rg"
t0=$(now_ms); "$RG" import "$T/b" -o "$T/target.rg" >/dev/null 2>&1; run=$(( $(now_ms) - t0 ))
[ "$(sum "$T/target.rg")" = "$new" ] || fail "import is not deterministic byte for byte"
n_old=0 n_new=0 n_tmp=0
for i in $(seq 1 "$ROUNDS"); do
    cp "$T/old.rg" "$T/target.rg"
    kill_at "$(pick_ms "$run")" "$RG" import "$T/b" -o "$T/target.rg" || true
    s=$(sum "$T/target.rg")
    if [ "$s" = "$old" ]; then
        n_old=$((n_old + 1))
        "$RG" info "$T/target.rg" --json >/dev/null || fail "round $i: old snapshot no longer loads"
    elif [ "$s" = "$new" ]; then
        n_new=$((n_new + 1))
        "$RG" info "$T/target.rg" --json >/dev/null || fail "round $i: new snapshot does not load"
    else
        "$RG" info "$T/target.rg" >/dev/null 2>&1 && loads=yes || loads=no
        fail "round $i: snapshot is neither the old nor the new file (loads: $loads)"
    fi
    for f in "$T"/target.rg.tmp*; do
        [ -e "$f" ] && { n_tmp=$((n_tmp + 1)); rm -f "$f"; }
    done
done
echo "snapshot: $ROUNDS kills over a ${run} ms import: old intact $n_old," \
     "new complete $n_new, temporaries left $n_tmp"

# ---- model files ----
"$RG" train "$T/old.rg" --model bias -o "$T/old.rgm" >/dev/null 2>&1
oldm=$(sum "$T/old.rgm")
user=$(head -1 "$T/a/ratings.dat" | cut -d: -f1)
cp "$T/old.rgm" "$T/model.rgm"
t0=$(now_ms)
"$RG" train "$T/old.rg" --model mf --dim 128 --epochs 1 --threads 1 -o "$T/model.rgm" \
    >/dev/null 2>&1
run=$(( $(now_ms) - t0 ))
[ "$(sum "$T/model.rgm")" != "$oldm" ] || fail "training did not replace the model"
n_old=0 n_new=0 n_tmp=0
for i in $(seq 1 "$ROUNDS"); do
    cp "$T/old.rgm" "$T/model.rgm"
    kill_at "$(pick_ms "$run")" "$RG" train "$T/old.rg" --model mf --dim 128 --epochs 1 \
        --threads 1 -o "$T/model.rgm" || true
    if [ "$(sum "$T/model.rgm")" = "$oldm" ]; then
        n_old=$((n_old + 1))
    else
        n_new=$((n_new + 1))
        # a new file must be complete: recommend loads it (SHA-256 checked) as an mf model
        out=$("$RG" recommend "$T/model.rgm" --user "$user" -n 3 --json 2>&1) ||
            fail "round $i: the model file is neither the old one nor a complete new one: $out"
        grep -q '"items"' <<<"$out" || fail "round $i: recommend printed no items: $out"
    fi
    "$RG" recommend "$T/model.rgm" --user "$user" -n 1 --json >/dev/null 2>&1 ||
        fail "round $i: the model file does not load"
    for f in "$T"/model.rgm.tmp*; do
        [ -e "$f" ] && { n_tmp=$((n_tmp + 1)); rm -f "$f"; }
    done
done
echo "model: $ROUNDS kills over a ${run} ms train: old intact $n_old," \
     "new complete $n_new, temporaries left $n_tmp"
