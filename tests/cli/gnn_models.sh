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
train_refused ggnn steps --steps 0
train_refused sage lr --lr -1
echo "gnn_models: ok"
