#!/usr/bin/env bash
# seq_models.sh: the sequence models through the command: rnn and lstm train on a small
# synthetic dataset (timestamps increase per user) with a temporal split (the last rating of
# each user held out) and early stopping; the JSON carries the contract keys and finite metrics
# better than the global mean's; the model file evaluates to the same RMSE; recommend works for a
# known user and for a folded-in new one; the same seed and threads reproduce the RMSE exactly;
# bad hyper-parameters exit 1 with a message.  Runs in a few seconds.
set -euo pipefail
RG="$1"
. "$(dirname "$0")/lib/model_cycle.sh"
model_setup seq-models 5

for model in rnn lstm; do
    model_cycle "$model" 8 0.02 --window 16
done

# the last rating of each user by time held out: the ranking metrics are defined
"$RG" train "$T/g.rg" --model lstm -o "$T/tmp.rgm" --split temporal:1 --seed 3 --threads 1 \
    --quiet --epochs 3 --json >"$T/temporal.json" || fail "lstm temporal train"

# bad hyper-parameters: exit 1, a message naming the problem
train_refused rnn dropout --dropout 1
train_refused lstm lr --lr -1
echo "seq_models: ok"
