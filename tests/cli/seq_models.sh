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
set +e
"$RG" train "$T/g.rg" --model rnn -o "$T/bad.rgm" --dropout 1 --quiet 2>"$T/err1"
rc1=$?
"$RG" train "$T/g.rg" --model lstm -o "$T/bad.rgm" --lr -1 --quiet 2>"$T/err2"
rc2=$?
set -e
[ $rc1 -eq 1 ] || fail "rnn --dropout 1 exited $rc1"
grep -q "dropout" "$T/err1" || fail "rnn --dropout 1 message: $(cat "$T/err1")"
[ $rc2 -eq 1 ] || fail "lstm --lr -1 exited $rc2"
grep -q "lr" "$T/err2" || fail "lstm --lr -1 message: $(cat "$T/err2")"
echo "seq_models: ok"
