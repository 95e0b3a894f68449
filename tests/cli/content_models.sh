#!/usr/bin/env bash
# content_models.sh: train -> eval -> recommend for the genre models (autoencoder, content,
# hybrid) on a small synthetic graph: the autoencoder reports null rating metrics and its
# held-out reconstruction MSE as the validation loss; content beats the global mean and the
# hybrid beats content and bias; eval reproduces train's figures from the model file;
# recommendations never return a seen movie, --genre-filter only returns movies sharing a genre
# with what the user rated, fold-in (--ratings) works; exit 1 for a bad hybrid schedule.
set -euo pipefail
RG="$1"
T="${RG_TEST_TMP:-/tmp}/cli-content-$$"
rm -rf "$T"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

"$RG" synth -o "$T/data" --users 200 --movies 120 --ratings 8000 --seed 5 >/dev/null
"$RG" import "$T/data" -o "$T/g.rg" >/dev/null 2>&1
uid=$(awk -F'::' 'NR==1 {print $1}' "$T/data/ratings.dat")
m1=$(awk -F'::' 'NR==1 {print $2}' "$T/data/ratings.dat")
m2=$(awk -F'::' 'NR==2 {print $2}' "$T/data/ratings.dat")

train() { # model -> JSON on stdout
    "$RG" train "$T/g.rg" --model "$1" -o "$T/$1.rgm" --split random:0.2 --seed 7 --json \
        --quiet
}

# every recommended id: not rated by user $2, not among the given movies $3, and with
# --genre-filter ($4 = 1) sharing a genre with the movies the user rated (or was given)
check_items() {
    local rec="$1" user="$2" given="$3" filter="$4"
    [ "$(jq '.items | length' <<<"$rec")" -ge 1 ] || fail "no items: $rec"
    local rated
    if [ -n "$user" ]; then
        rated=$(awk -F'::' -v u="$user" '$1 == u {print $2}' "$T/data/ratings.dat")
    else
        rated="$given"
    fi
    local genres
    genres=$(for m in $rated; do
        awk -F'::' -v m="$m" '$1 == m {print $3}' "$T/data/movies.dat"; done | tr '|' '\n' |
        sort -u)
    for id in $(jq -r '.items[].id' <<<"$rec"); do
        for m in $rated; do
            [ "$id" != "$m" ] || fail "recommended movie $id was already rated"
        done
        if [ "$filter" = 1 ]; then
            local mine shared=0
            mine=$(awk -F'::' -v m="$id" '$1 == m {print $3}' "$T/data/movies.dat" | tr '|' '\n')
            for g in $mine; do
                grep -qxF "$g" <<<"$genres" && shared=1
            done
            [ "$shared" = 1 ] || fail "--genre-filter returned movie $id sharing no genre"
        fi
    done
}

# ---- autoencoder: no rating metrics, the validation loss is the held-out reconstruction MSE
ae=$(train autoencoder)
[ "$(jq -r .model <<<"$ae")" = autoencoder ] || fail "autoencoder: model in $ae"
[ "$(jq -r .rmse <<<"$ae")" = null ] || fail "autoencoder predicts no ratings: $ae"
mse=$(jq '.history[-1].val_loss' <<<"$ae")
awk -v x="$mse" 'BEGIN {exit !(x >= 0 && x < 0.05)}' || fail "autoencoder held-out MSE $mse"
check_items "$("$RG" recommend "$T/autoencoder.rgm" --user "$uid" -n 5 --json)" "$uid" "" 0

# ---- content: better than the global mean; eval reproduces; recommend and fold-in
mean=$(train mean)
ct=$(train content)
awk -v c="$(jq .rmse <<<"$ct")" -v m="$(jq .rmse <<<"$mean")" 'BEGIN {exit !(c < m)}' ||
    fail "content RMSE $(jq .rmse <<<"$ct") not below the mean's $(jq .rmse <<<"$mean")"
ev=$("$RG" eval "$T/content.rgm" --json)
[ "$(jq .rmse <<<"$ev")" = "$(jq .rmse <<<"$ct")" ] || fail "content: eval rmse differs: $ev"
check_items "$("$RG" recommend "$T/content.rgm" --user "$uid" -n 10 --json)" "$uid" "" 0
check_items "$("$RG" recommend "$T/content.rgm" --user "$uid" -n 10 --genre-filter --json)" \
    "$uid" "" 1
check_items "$("$RG" recommend "$T/content.rgm" --ratings "$m1:5,$m2:1" -n 10 --genre-filter \
    --json)" "" "$m1 $m2" 1

# ---- hybrid: better than content and bias; the whole ensemble reloads from one file
bias=$(train bias)
hy=$(train hybrid)
h=$(jq .rmse <<<"$hy")
for other in "$ct" "$bias"; do
    awk -v h="$h" -v o="$(jq .rmse <<<"$other")" 'BEGIN {exit !(h < o)}' ||
        fail "hybrid RMSE $h not below $(jq -c '{model, rmse}' <<<"$other")"
done
ev=$("$RG" eval "$T/hybrid.rgm" --json)
[ "$(jq .rmse <<<"$ev")" = "$h" ] || fail "hybrid: eval rmse differs: $ev"
check_items "$("$RG" recommend "$T/hybrid.rgm" --user "$uid" -n 10 --genre-filter --json)" \
    "$uid" "" 1
check_items "$("$RG" recommend "$T/hybrid.rgm" --ratings "$m1:4,$m2:2" -n 5 --json)" "" \
    "$m1 $m2" 0

# ---- bad usage: the hybrid runs exactly two epochs
set +e
"$RG" train "$T/g.rg" --model hybrid -o "$T/bad.rgm" --epochs 3 --quiet 2>"$T/err" >/dev/null
rc=$?
set -e
[ "$rc" = 1 ] || fail "hybrid --epochs 3: exit $rc, expected 1"
grep -q "2 epochs" "$T/err" || fail "hybrid --epochs 3: message: $(cat "$T/err")"
echo "content_models: ok"
