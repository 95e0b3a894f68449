#!/usr/bin/env bash
# gnn_models.sh: the graph neural models through the command: ggnn and sage train on a small
# synthetic dataset (demographics and genres present) with a random split and early stopping,
# the JSON carries the contract keys and finite metrics clearly better than the global mean's
# (that they beat the bias model on planted structure is test_ggnn / test_sage's job), the
# model file evaluates to the same RMSE, recommend works for a known user and for a folded-in
# new one, the same seed and threads reproduce the RMSE exactly, and bad hyper-parameters exit 1
# with a message.  Runs in a few seconds.
set -euo pipefail
RG="$1"
. "$(dirname "$0")/lib/model_cycle.sh"
model_setup gnn-models 7

for model in ggnn sage; do
    extra=()
    [ "$model" = ggnn ] && extra=(--steps 2 --fanout 16)
    [ "$model" = sage ] && extra=(--fanout 8,4)
    model_cycle "$model" 12 0.05 --patience 3 --dim 16 "${extra[@]}"
done

# bad hyper-parameters: exit 1, a message naming the problem
set +e
"$RG" train "$T/g.rg" --model ggnn -o "$T/bad.rgm" --steps 0 --quiet 2>"$T/err1"
rc1=$?
"$RG" train "$T/g.rg" --model sage -o "$T/bad.rgm" --lr -1 --quiet 2>"$T/err2"
rc2=$?
set -e
[ $rc1 -eq 1 ] || fail "ggnn --steps 0 exited $rc1"
grep -q "steps" "$T/err1" || fail "ggnn --steps 0 message: $(cat "$T/err1")"
[ $rc2 -eq 1 ] || fail "sage --lr -1 exited $rc2"
grep -q "lr" "$T/err2" || fail "sage --lr -1 message: $(cat "$T/err2")"
echo "gnn_models: ok"
