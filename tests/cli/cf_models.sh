#!/usr/bin/env bash
# cf_models.sh: train -> eval -> recommend for the collaborative and top-N models (pop, rp3b,
# bpr, knn-user, knn-item) on a small synthetic graph: null rating metrics for the pure rankers
# and numbers for knn, eval reproducing train's figures from the model file, recommendations and
# fold-in never returning a seen movie, knn with each similarity the command accepts, and exit 1
# for a bad metric.
set -euo pipefail
RG="$1"
T="${RG_TEST_TMP:-/tmp}/cli-cf-$$"
rm -rf "$T"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
json_val() { sed -E "s/.*\"$2\":(-?[0-9.eE+-]+|null).*/\1/" <<<"$1"; }

"$RG" synth -o "$T/data" --users 120 --movies 70 --ratings 3000 --seed 11 >/dev/null
"$RG" import "$T/data" -o "$T/g.rg" >/dev/null 2>&1
uid=$(awk -F'::' 'NR==1 {print $1}' "$T/data/ratings.dat")
m1=$(awk -F'::' 'NR==1 {print $2}' "$T/data/ratings.dat")
m2=$(awk -F'::' 'NR==2 {print $2}' "$T/data/ratings.dat")

# ids listed in a recommend JSON must not be rated by user $2 / be among the given movies
check_unseen() {
    local rec="$1" user="$2" given="$3"
    [ "$(grep -o '"id":' <<<"$rec" | wc -l)" -ge 1 ] || fail "no items: $rec"
    for id in $(grep -o '"id":[0-9]*' <<<"$rec" | cut -d: -f2); do
        if [ -n "$user" ] && awk -F'::' -v u="$user" -v m="$id" \
            '$1 == u && $2 == m {found = 1} END {exit !found}' "$T/data/ratings.dat"; then
            fail "recommended movie $id was rated by user $user"
        fi
        for g in $given; do
            [ "$id" != "$g" ] || fail "fold-in recommended the given movie $id"
        done
    done
}

for model in pop rp3b bpr knn-user knn-item; do
    out=$("$RG" train "$T/g.rg" --model "$model" -o "$T/$model.rgm" --split random:0.2 \
          --seed 7 --threads 1 --json --quiet)
    grep -q "\"model\":\"$model\"" <<<"$out" || fail "$model: model name in $out"
    rmse=$(json_val "$out" rmse)
    case "$model" in
        knn-*) [ "$rmse" != null ] || fail "$model: rmse should be a number: $out" ;;
        *) [ "$rmse" = null ] || fail "$model: a pure ranker reports rmse null: $out" ;;
    esac
    ndcg=$(json_val "$out" ndcg_at_k)
    [ "$ndcg" != null ] || fail "$model: ndcg_at_k missing: $out"
    ev=$("$RG" eval "$T/$model.rgm" --json)
    [ "$(json_val "$ev" ndcg_at_k)" = "$ndcg" ] || fail "$model: eval ndcg differs: $ev / $out"
    [ "$(json_val "$ev" rmse)" = "$rmse" ] || fail "$model: eval rmse differs: $ev / $out"
    rec=$("$RG" recommend "$T/$model.rgm" --user "$uid" -n 8 --json)
    check_unseen "$rec" "$uid" ""
    new=$("$RG" recommend "$T/$model.rgm" --ratings "$m1:5,$m2:2" -n 6 --json)
    check_unseen "$new" "" "$m1 $m2"
done

# knn with the similarities the command accepts (the library also takes pearson-base,
# adjusted-cosine and the ":mean" centring, tested in tests/unit/test_knn.c); a bad metric is
# bad usage
for metric in cosine pearson; do
    out=$("$RG" train "$T/g.rg" --model knn-user -o "$T/v.rgm" --split random:0.2 --seed 7 \
          --metric "$metric" --k 20 --json --quiet)
    [ "$(json_val "$out" rmse)" != null ] || fail "knn-user --metric $metric: $out"
done
set +e
"$RG" train "$T/g.rg" --model knn-item -o "$T/bad.rgm" --metric euclid --quiet \
    >/dev/null 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "bad metric: exit $rc, expected 1"
grep -q "euclid" "$T/err" || fail "bad metric: message does not name it: $(cat "$T/err")"
echo "ok"
