#!/usr/bin/env bash
# suite.sh: the accuracy and speed suite.  One command, one results table (Markdown + CSV):
#   1. every model on ML-100K u1.base -> u1.test: RMSE, MAE, MSE, P/R/NDCG/HitRate@10, coverage,
#      epochs, train seconds, seconds per epoch, peak memory (/usr/bin/time -v), loss curves (PNG);
#   2. ML-100K 5-fold (u1..u5) mean +- std for the rating models;
#   3. ML-1M random 90/10, seed 42, for the rating models (each run time-boxed; a run that
#      fails or hits the box is recorded as such, never dropped);
#   4. side-by-side PyTorch peers of mf, sage and ggnn (bench/peers/, Debian python3-torch, CPU,
#      2 threads), run in the same run on u1 with the hyper-parameters reelgraph reports for its
#      own run, so the speed ratio and the accuracy difference are measured here;
#   5. the reference figures (literature, the seed report, earlier measurements on this machine),
#      each with its protocol and source.
#
# usage: bash bench/suite.sh [--quick] [--keep] [--out DIR] [--bin REELGRAPH] [--no-peers]
#                            [--models "m1 m2 ..."] [--threads N] [--timebox S]
#                            [--peer-budget S] [--sections "u1 peers 5fold ml-1m"]
#   --quick       smoke size: u1 only, 2 epochs, models mean bias mf pop sage ggnn (unless
#                 --models), peers with the same 2 epochs; no 5-fold, no ML-1M
#   --out DIR     where RESULTS.md, results.csv and curves/ go (default bench/results); the raw
#                 JSON / time / stderr of every run go to DIR/raw (gitignored)
#   --bin PATH    the reelgraph command to use (default: build it in $RG_BUILD_DIR, default build/)
#   --no-peers    skip the PyTorch peers (they are also skipped, visibly, without torch)
#   --threads N   worker threads for reelgraph and the peers (default 2)
#   --timebox S   seconds before a single run is stopped (default 900; ML-1M runs 1200)
#   --peer-budget S  a peer starts no new epoch after S seconds of training (default 900); the
#                 table then says how many epochs it ran (its s/epoch is still measured)
#   --sections L  which parts to run, of "u1 peers 5fold ml-1m" (default all; --quick: u1 peers)
#   --keep        keep the raw runs already in DIR/raw and replace only the runs made now (to
#                 rerun some models after a change); the tables then cover both
# Data: $RG_DATA_DIR/ml-100k (required) and $RG_DATA_DIR/ml-1m (optional); default ../shared/data.
# Environment: RG_COMMIT names the commit in the header when the tree is not a git checkout
# (e.g. a `git archive` snapshot).  OMP_WAIT_POLICY defaults to passive here: on a machine
# shared with other jobs, spinning OpenMP workers slow libgomp programs (reelgraph and PyTorch
# alike) by 10x or more.  PY (default /usr/bin/python3) is the interpreter with torch.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
SECTIONS=""
OUT="$ROOT/bench/results"
BIN=""
PEERS=1
MODELS=""
THREADS=2
TIMEBOX=900
PEER_BUDGET=900
PY=${PY:-/usr/bin/python3}
KEEP=0
usage() { sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --out) OUT="$2"; shift ;;
        --bin) BIN="$2"; shift ;;
        --no-peers) PEERS=0 ;;
        --models) MODELS="$2"; shift ;;
        --threads) THREADS="$2"; shift ;;
        --timebox) TIMEBOX="$2"; shift ;;
        --peer-budget) PEER_BUDGET="$2"; shift ;;
        --sections) SECTIONS="$2"; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "suite.sh: unknown option '$1' (see --help)" >&2; exit 1 ;;
    esac
    shift
done
if [ -z "${RG_DATA_DIR:-}" ] && [ -d "$ROOT/../shared/data" ]; then
    RG_DATA_DIR="$(cd "$ROOT/../shared/data" && pwd)"
fi
DATA="${RG_DATA_DIR:-}"
if [ ! -f "$DATA/ml-100k/u1.test" ]; then
    echo "suite.sh: ML-100K not found under RG_DATA_DIR='$DATA' (need ml-100k/u1.base, u1.test)" >&2
    exit 1
fi
if [ ! -x "$PY" ]; then
    echo "suite.sh: $PY not found (needed for the JSON and the tables)" >&2
    exit 1
fi
if [ -z "$BIN" ]; then
    BUILD=${RG_BUILD_DIR:-$ROOT/build}
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" --target reelgraph_cli >/dev/null
    BIN="$BUILD/reelgraph"
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export PYTHONDONTWRITEBYTECODE=1

ALL_MODELS="mean bias mf knn-user knn-item bpr rp3b pop autoencoder content rnn lstm ggnn sage hybrid"
RATING_MODELS="mean bias mf knn-user knn-item content rnn lstm ggnn sage hybrid"
EPOCHS=()
if [ "$QUICK" = 1 ]; then
    ALL_MODELS=${MODELS:-"mean bias mf pop sage ggnn"}
    EPOCHS=(--epochs 2)
elif [ -n "$MODELS" ]; then
    ALL_MODELS=$MODELS
    RATING_MODELS=$(for m in $MODELS; do case " $RATING_MODELS " in *" $m "*) echo "$m" ;; esac; done)
fi
if [ -z "$SECTIONS" ]; then
    SECTIONS="u1 peers 5fold ml-1m"
    [ "$QUICK" = 1 ] && SECTIONS="u1 peers"
fi
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
want peers || PEERS=0
if [ "$PEERS" = 1 ] && ! "$PY" -c "import torch" 2>/dev/null; then
    echo "suite.sh: SKIP peers: $PY cannot import torch (apt install python3-torch)" >&2
    PEERS=0
fi

RAW="$OUT/raw"
mkdir -p "$RAW" "$OUT/curves"
MANIFEST="$RAW/manifest.tsv"
if [ "$KEEP" = 0 ]; then
    find "$RAW" -maxdepth 1 -type f -delete
    : >"$MANIFEST"
fi
touch "$MANIFEST"
load() { cut -d' ' -f1-3 /proc/loadavg; }
cat >"$RAW/header.env" <<EOF
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=${RG_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
dirty=$([ -n "${RG_COMMIT:-}" ] && echo 0 || git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | wc -l)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cores=$(nproc)
mem_gb=$(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
load_start=$(load)
threads=$THREADS
omp_wait_policy=$OMP_WAIT_POLICY
quick=$QUICK
sections=$SECTIONS
torch=$([ "$PEERS" = 1 ] && "$PY" -c "import torch; print(torch.__version__)" || echo none)
EOF

# run LABEL TIMEOUT SECTION DATASET SPLIT MODEL IMPL -- COMMAND...: runs COMMAND under
# /usr/bin/time -v and timeout, stdout -> LABEL.json, stderr -> LABEL.err, the exit status
# -> LABEL.status; appends the run to the manifest.  Never fails the suite.
run() {
    local label="$1" box="$2" section="$3" dataset="$4" split="$5" model="$6" impl="$7"
    shift 8
    # a rerun replaces the label's earlier line (--keep)
    awk -F'\t' -v l="$label" '$1 != l' "$MANIFEST" >"$MANIFEST.tmp" && mv "$MANIFEST.tmp" "$MANIFEST"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$section" "$dataset" "$split" "$model" "$impl" \
        >>"$MANIFEST"
    echo "suite: $label (load $(load))" >&2
    local rc=0
    timeout --kill-after=10 "$box" /usr/bin/time -v -o "$RAW/$label.time" "$@" \
        >"$RAW/$label.json" 2>"$RAW/$label.err" || rc=$?
    echo "$rc" >"$RAW/$label.status"
    if [ "$rc" != 0 ]; then
        echo "suite: $label exited $rc (see $RAW/$label.err)" >&2
    fi
}

# ---- graphs ----
"$BIN" import "$DATA/ml-100k" -o "$RAW/ml-100k.rg" --quiet >/dev/null
HAVE_1M=0
if want ml-1m && [ -f "$DATA/ml-1m/ratings.dat" ]; then
    "$BIN" import "$DATA/ml-1m" -o "$RAW/ml-1m.rg" --quiet >/dev/null
    HAVE_1M=1
fi
U1=(--test-file "$DATA/ml-100k/u1.test")
TR=(--threads "$THREADS" --json --quiet)

# ---- 1. every model on u1 (the peers and fold 1 of the 5-fold reuse these runs) ----
want u1 || want peers || ALL_MODELS=""
for m in $ALL_MODELS; do
    run "u1-$m" "$TIMEBOX" u1 ml-100k u1 "$m" reelgraph -- \
        "$BIN" train "$RAW/ml-100k.rg" --model "$m" -o "$RAW/u1-$m.rgm" "${U1[@]}" "${TR[@]}" \
        "${EPOCHS[@]}" --loss-csv "$RAW/u1-$m.loss.csv" --plot "$OUT/curves/u1-$m.png"
    rm -f "$RAW/u1-$m.rgm"
done

# ---- 4. peers, right after, on the same split, with reelgraph's reported hyper-parameters ----
if [ "$PEERS" = 1 ]; then
    for m in mf sage ggnn; do
        case " $ALL_MODELS " in *" $m "*) ;; *) continue ;; esac
        if [ "$(cat "$RAW/u1-$m.status")" != 0 ]; then
            echo "suite: peer $m skipped: reelgraph's u1 run failed" >&2
            continue
        fi
        mapfile -t hp < <("$PY" - "$RAW/u1-$m.json" "$m" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))["params"]
keys = {"mf": ("dim", "epochs", "lr", "reg"),
        "sage": ("dim", "epochs", "lr", "reg", "batch", "dropout", "patience"),
        "ggnn": ("dim", "epochs", "lr", "reg", "batch", "steps", "dropout", "patience")}[sys.argv[2]]
out = []
for k in keys:
    if k in p:
        out += ["--" + k, repr(round(p[k], 7)) if isinstance(p[k], float) else str(p[k])]
if "val_fraction" in p and sys.argv[2] != "mf":
    out += ["--val-fraction", repr(round(p["val_fraction"], 7))]
if "fanout" in p and sys.argv[2] != "mf":
    out += ["--fanout", ",".join(str(x) for x in p["fanout"])]
print("\n".join(out))
EOF
        )
        run "u1-$m-torch" "$TIMEBOX" peer ml-100k u1 "$m" pytorch -- \
            "$PY" "$ROOT/bench/peers/$m.py" --data "$DATA/ml-100k" \
            --train "$DATA/ml-100k/u1.base" --test "$DATA/ml-100k/u1.test" \
            --threads "$THREADS" "${hp[@]}" --max-seconds "$PEER_BUDGET" \
            --loss-csv "$RAW/u1-$m-torch.loss.csv"
    done
fi

report() { "$PY" "$ROOT/bench/suite_report.py" "$OUT"; }
report # tables after every section, so a run cut short still leaves what it measured

# ---- 2. 5-fold ----
if want 5fold; then
    for m in $RATING_MODELS; do
        for k in 1 2 3 4 5; do
            [ "$k" = 1 ] && [ -f "$RAW/u1-$m.status" ] && {
                printf '%s\t%s\t%s\t%s\t%s\t%s\n' "u1-$m" 5fold ml-100k u1 "$m" reelgraph \
                    >>"$MANIFEST"
                continue
            }
            run "u$k-$m" "$TIMEBOX" 5fold ml-100k "u$k" "$m" reelgraph -- \
                "$BIN" train "$RAW/ml-100k.rg" --model "$m" -o "$RAW/u$k-$m.rgm" \
                --test-file "$DATA/ml-100k/u$k.test" "${TR[@]}"
            rm -f "$RAW/u$k-$m.rgm"
        done
    done
    report
fi
# ---- 3. ML-1M random 90/10 ----
if [ "$HAVE_1M" = 1 ]; then
    for m in $RATING_MODELS; do
        run "1m-$m" "$((TIMEBOX + 300))" ml-1m ml-1m random:0.1 "$m" reelgraph -- \
            "$BIN" train "$RAW/ml-1m.rg" --model "$m" -o "$RAW/1m-$m.rgm" \
            --split random:0.1 --seed 42 "${TR[@]}" --loss-csv "$RAW/1m-$m.loss.csv"
        rm -f "$RAW/1m-$m.rgm"
        report
    done
elif want ml-1m; then
    echo "suite: SKIP ML-1M (no $DATA/ml-1m/ratings.dat)" >&2
fi
echo "load_end=$(load)" >>"$RAW/header.env"
echo "finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$RAW/header.env"
rm -f "$RAW"/*.rg

report
echo "suite: wrote $OUT/RESULTS.md and $OUT/results.csv" >&2
