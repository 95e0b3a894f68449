#!/usr/bin/env bash
# train_eval_recommend.sh: the train -> eval -> recommend round trip on a small synthetic graph:
# JSON keys of the contract, loss CSV and plots, eval reproducing train's test metrics from the
# model file alone, recommendations that exclude seen movies, fold-in of a new user, the
# popularity fallback, and exit codes for bad usage and damaged or mismatched model files.
set -euo pipefail
RG="$1"
T="${RG_TEST_TMP:-/tmp}/cli-train-$$"
rm -rf "$T"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
has_key() { grep -q "\"$2\":" <<<"$1" || fail "key $2 missing in: $1"; }
json_num() { sed -E "s/.*\"$2\":(-?[0-9.eE+-]+|null).*/\1/" <<<"$1"; }

"$RG" synth -o "$T/data" --users 150 --movies 80 --ratings 4000 --seed 3 >/dev/null
"$RG" import "$T/data" -o "$T/g.rg" >/dev/null 2>&1

# train: contract keys, curves, plot files
out=$("$RG" train "$T/g.rg" --model mf -o "$T/mf.rgm" --split random:0.2 --seed 5 --dim 8 \
      --epochs 6 --threads 1 --val-fraction 0.1 --loss-csv "$T/loss.csv" --plot "$T/loss.svg" \
      --json --quiet)
for k in model rmse mae mse epochs train_seconds precision_at_k recall_at_k ndcg_at_k \
         hit_rate_at_k coverage peak_rss_mb history; do
    has_key "$out" "$k"
done
grep -q '"model":"mf"' <<<"$out" || fail "model name"
[ "$(json_num "$out" epochs)" = 6 ] || fail "epochs: $out"
[ "$(head -1 "$T/loss.csv")" = "epoch,train_loss,val_loss,seconds" ] || fail "csv header"
[ "$(wc -l <"$T/loss.csv")" -eq 7 ] || fail "csv rows"
grep -q "<svg" "$T/loss.svg" || fail "svg plot"
"$RG" train "$T/g.rg" --model bias -o "$T/bias.rgm" --split random:0.2 --seed 5 \
    --plot "$T/loss.png" --quiet >/dev/null
[ "$(head -c 4 "$T/loss.png" | tail -c 3)" = "PNG" ] || fail "png plot"

# eval from the model file alone reproduces train's test RMSE
ev=$("$RG" eval "$T/mf.rgm" --json)
for k in rmse mae mse precision_at_k recall_at_k ndcg_at_k hit_rate_at_k coverage; do
    has_key "$ev" "$k"
done
[ "$(json_num "$ev" rmse)" = "$(json_num "$out" rmse)" ] || fail "eval rmse differs: $ev / $out"

# recommend: n items, none of them rated by the user in the graph
uid=$(awk -F'::' 'NR==1 {print $1}' "$T/data/ratings.dat")
rec=$("$RG" recommend "$T/mf.rgm" --user "$uid" -n 5 --json)
has_key "$rec" items
[ "$(grep -o '"id":' <<<"$rec" | wc -l)" -eq 5 ] || fail "5 items expected: $rec"
for id in $(grep -o '"id":[0-9]*' <<<"$rec" | cut -d: -f2); do
    if awk -F'::' -v u="$uid" -v m="$id" '$1 == u && $2 == m {found = 1} END {exit !found}' \
        "$T/data/ratings.dat"; then
        fail "recommended movie $id was rated by user $uid"
    fi
done
"$RG" recommend "$T/mf.rgm" --user "$uid" -n 3 --genre-filter >/dev/null

# a new user by ratings (fold-in), and the labelled popularity fallback
m1=$(awk -F'::' 'NR==1 {print $2}' "$T/data/ratings.dat")
new=$("$RG" recommend "$T/mf.rgm" --ratings "$m1:5" -n 4 --json)
grep -q '"fallback":null' <<<"$new" || fail "fold-in is not a fallback: $new"
grep -q "\"id\":$m1," <<<"$new" && fail "fold-in recommended the rated movie"
pop=$("$RG" recommend "$T/mf.rgm" --ratings "" -n 4 --json)
grep -q '"fallback":"popularity"' <<<"$pop" || fail "popularity fallback not labelled: $pop"

# exit codes: bad usage, unknown model, damaged model file, another graph
set +e
"$RG" train "$T/g.rg" -o "$T/x.rgm" 2>/dev/null; [ $? -eq 1 ] || fail "missing --model"
"$RG" train "$T/g.rg" --model nosuch -o "$T/x.rgm" 2>/dev/null; [ $? -eq 1 ] || fail "unknown model"
"$RG" train "$T/g.rg" --model mf -o "$T/x.rgm" --epochs 0 2>/dev/null; [ $? -eq 1 ] || fail "epochs 0"
head -c 200 "$T/mf.rgm" >"$T/cut.rgm"
msg=$("$RG" eval "$T/cut.rgm" 2>&1); [ $? -eq 1 ] || fail "truncated model"
grep -q truncated <<<"$msg" || fail "truncation message: $msg"
"$RG" synth -o "$T/data2" --users 150 --movies 80 --ratings 4000 --seed 4 >/dev/null
"$RG" import "$T/data2" -o "$T/g2.rg" >/dev/null 2>&1
msg=$("$RG" eval "$T/mf.rgm" "$T/g2.rg" 2>&1); [ $? -eq 1 ] || fail "mismatched graph"
grep -q hint <<<"$msg" || fail "mismatch message: $msg"
"$RG" recommend "$T/mf.rgm" --user 999999999 2>/dev/null; [ $? -eq 1 ] || fail "unknown user"
set -e
"$RG" train --help | grep -q -- "--val-fraction" || fail "train --help"
"$RG" eval --help >/dev/null
"$RG" recommend --help >/dev/null
echo "ok"
