#!/usr/bin/env bash
# scale.sh: how reelgraph grows with the graph.  Synthetic graphs (reelgraph synth) of 1M, 5M and
# 25M ratings (25M: 162,541 users and 59,047 movies, the size of ML-25M; the smaller ones keep
# the same ratings per user and per movie), and on each, with 1 and 2 threads:
#   import       reelgraph import (read + CSR build + snapshot write; single-threaded)
#   load         rg_snapshot_load (mmap + checksum), from bench_scale_similar
#   mf epoch     reelgraph train --model mf --epochs 1 (the epoch's own seconds)
#   sage epoch   reelgraph train --model sage --epochs 1 --val-fraction 0 (sampled blocks,
#                fan-out 10,5, batch 2048: the epoch's own seconds)
#   similar      top-10 co-rating neighbours of 1000 users (bench_scale_similar)
# time and peak memory (/usr/bin/time -v, whole process), then the growth from 1M to 25M
# (measured ratio against the 25x of the ratings; flagged where it is not roughly linear).
#
# usage: bash bench/scale.sh [--sizes "1 5 25"] [--threads "1 2"] [--work DIR] [--out DIR]
#                            [--bin REELGRAPH] [--timebox S]
#   --sizes    millions of ratings (default "1 5 25")
#   --work     scratch for the synthetic datasets and snapshots (default build-bench/scale;
#              25M takes ~1.5 GB; never inside the tracked tree)
#   --out      where SCALE.md and scale.csv go (default bench/results); raw runs in OUT/raw/scale
#   --bin      reelgraph (default: build it in $RG_BUILD_DIR, default build/); bench_scale_similar
#              is built next to it (cmake --target bench_scale_similar)
#   --timebox  seconds before one run is stopped and recorded as a timeout (default 1500)
#   --report-only  rewrite SCALE.md and scale.csv from the raw runs of an earlier run
# OMP_WAIT_POLICY defaults to passive (see bench/suite.sh); RG_COMMIT names the commit in the
# header when the binary was built from another tree than this checkout (a snapshot).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES="1 5 25"
THREADS="1 2"
WORK="$ROOT/build-bench/scale"
OUT="$ROOT/bench/results"
BIN=""
TIMEBOX=1500
REPORT_ONLY=0
PY=${PY:-/usr/bin/python3}
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) SIZES="$2"; shift ;;
        --threads) THREADS="$2"; shift ;;
        --work) WORK="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        --bin) BIN="$2"; shift ;;
        --timebox) TIMEBOX="$2"; shift ;;
        --report-only) REPORT_ONLY=1 ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "scale.sh: unknown option '$1' (see --help)" >&2; exit 1 ;;
    esac
    shift
done
RAW="$OUT/raw/scale"
if [ "$REPORT_ONLY" = 1 ]; then
    SIZES=$(ls "$RAW" | sed -n 's/^\([0-9]*\)m-import.status$/\1/p' | sort -n | tr '\n' ' ')
    THREADS=$(ls "$RAW" | sed -n 's/^[0-9]*m-t\([0-9]*\)-mf.status$/\1/p' | sort -nu | tr '\n' ' ')
elif [ -z "$BIN" ]; then
    BUILD=${RG_BUILD_DIR:-$ROOT/build}
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j2 --target reelgraph_cli bench_scale_similar >/dev/null
    BIN="$BUILD/reelgraph"
fi
SIM="$(dirname "${BIN:-.}")/bench_scale_similar"
if [ "$REPORT_ONLY" = 0 ] && [ ! -x "$SIM" ]; then
    echo "scale.sh: $SIM not built (cmake --build DIR --target bench_scale_similar)" >&2
    exit 1
fi
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
if [ "$REPORT_ONLY" = 0 ]; then
mkdir -p "$WORK" "$RAW"
rm -f "$RAW"/*
load() { cut -d' ' -f1-3 /proc/loadavg; }
{
    echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit=${RG_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}"
    echo "cores=$(nproc)"
    echo "load_start=$(load)"
    echo "omp_wait_policy=$OMP_WAIT_POLICY"
} >"$RAW/header.env"

# timed LABEL -- COMMAND...: stdout -> LABEL.out, /usr/bin/time -v -> LABEL.time, rc -> .status
timed() {
    local label="$1"
    shift 2
    echo "scale: $label (load $(load))" >&2
    local rc=0
    timeout --kill-after=10 "$TIMEBOX" /usr/bin/time -v -o "$RAW/$label.time" "$@" \
        >"$RAW/$label.out" 2>"$RAW/$label.err" || rc=$?
    echo "$rc" >"$RAW/$label.status"
    [ "$rc" = 0 ] || echo "scale: $label exited $rc: $(tail -1 "$RAW/$label.err")" >&2
}

# the cheap stages for every size first, the sage epochs (the slowest) last, so a time box on
# the 25M sage epoch cannot cost the other figures
for s in $SIZES; do
    R=$((s * 1000000))
    U=$(( (162541 * s + 12) / 25 ))
    M=$(( (59047 * s + 12) / 25 ))
    D="$WORK/synth-${s}m"
    if [ ! -f "$D/ratings.dat" ]; then
        echo "scale: synth ${s}M ($U users, $M movies)" >&2
        "$BIN" synth -o "$D" --users "$U" --movies "$M" --ratings "$R" --seed 42 >/dev/null
    fi
    G="$WORK/synth-${s}m.rg"
    timed "${s}m-import" -- "$BIN" import "$D" -o "$G" --json --quiet
    for t in $THREADS; do
        timed "${s}m-t$t-similar" -- "$SIM" "$G" 1000 "$t"
        timed "${s}m-t$t-mf" -- "$BIN" train "$G" --model mf --epochs 1 --threads "$t" \
            -o "$WORK/mf.rgm" --json --quiet
        rm -f "$WORK/mf.rgm"
    done
done
for s in $SIZES; do
    for t in $THREADS; do
        timed "${s}m-t$t-sage" -- "$BIN" train "$WORK/synth-${s}m.rg" --model sage --epochs 1 \
            --threads "$t" --val-fraction 0 -o "$WORK/sage.rgm" --json --quiet
        rm -f "$WORK/sage.rgm"
    done
done
echo "load_end=$(load)" >>"$RAW/header.env"
echo "finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$RAW/header.env"
fi

"$PY" - "$RAW" "$OUT" "$SIZES" "$THREADS" <<'EOF'
import json, os, re, sys
raw, out, sizes, threads = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
hdr = dict(l.rstrip("\n").split("=", 1) for l in open(os.path.join(raw, "header.env")) if "=" in l)

def run(label):
    """(status, json, peak MB, wall s, cpu s) of one run."""
    st = open(os.path.join(raw, label + ".status")).read().strip()
    try:
        j = json.loads(open(os.path.join(raw, label + ".out")).read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        j = {}
    try:
        t = open(os.path.join(raw, label + ".time")).read()
        peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
        w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", t).group(1)
        wall = 0.0
        for p in w.split(":"):
            wall = wall * 60 + float(p)
        cpu = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1)) + \
            float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
    except (OSError, AttributeError):  # killed by the time box: no /usr/bin/time report
        peak = wall = cpu = None
    status = "ok" if st == "0" else ("timeout" if st in ("124", "137") else f"failed (exit {st})")
    return status, j, peak, wall, cpu

rows = []  # (size, threads, stage, seconds, cpu, peak, status)
for s in sizes:
    st, j, peak, wall, cpu = run(f"{s}m-import")
    rows.append((s, "-", "import", j.get("seconds", wall), cpu, peak, st))
    for t in threads:
        st, j, peak, wall, cpu = run(f"{s}m-t{t}-similar")
        if t == threads[0]:
            rows.append((s, "-", "snapshot load", j.get("load_seconds"), None, None, st))
        rows.append((s, t, "similar 1000 users", j.get("wall_seconds"), j.get("cpu_seconds"),
                     peak, st))
        for m in ("mf", "sage"):
            st, j, peak, wall, cpu = run(f"{s}m-t{t}-{m}")
            h = j.get("history") or [{}]
            rows.append((s, t, f"{m} epoch", h[0].get("seconds"), cpu, peak, st))

with open(os.path.join(out, "scale.csv"), "w") as f:
    f.write("ratings_millions,threads,stage,seconds,process_cpu_seconds,peak_rss_mb,status\n")
    for r in rows:
        f.write(",".join("" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))
                         for v in r) + "\n")

f2 = lambda v, nd=3: "-" if v is None else f"{v:.{nd}f}"
md = ["# reelgraph scale benchmark (synthetic graphs)", "",
      "Generated by `bash bench/scale.sh` (rerun it; do not edit by hand).", "",
      f"- run: {hdr.get('started')} to {hdr.get('finished')} UTC, commit {hdr.get('commit')}, "
      f"{hdr.get('cores')} cores **shared with other jobs** (load average {hdr.get('load_start')} "
      f"at the start, {hdr.get('load_end')} at the end: wall-clock times are pessimistic; the "
      f"process CPU seconds are less distorted); OMP_WAIT_POLICY={hdr.get('omp_wait_policy')}",
      "- graphs: `reelgraph synth --ratings R --users U --movies M --seed 42` with U and M "
      "proportional to R (25M: 162,541 users, 59,047 movies), so degrees stay comparable",
      "- seconds: import = the command's own total; mf/sage epoch = the epoch's own seconds from "
      "`train --json` history (the process also builds the model and, for sage, attaches the "
      "full graph); similar = 1000 queries, top-10 co-rating cosine; CPU s = user + system "
      "seconds of the whole process (model set-up and, for similar, load and preparation "
      "included); peak MB = the whole process's maximum RSS", "",
      "| stage | threads | " + " | ".join(f"{s}M s" for s in sizes) + " | " +
      " | ".join(f"{s}M CPU s" for s in sizes) + " | " +
      " | ".join(f"{s}M peak MB" for s in sizes) + " | time growth per step (against the ratings' growth) |",
      "|---|---|" + "---|" * (3 * len(sizes)) + "---|"]
keys = list(dict.fromkeys((r[2], r[1]) for r in rows))
notes = []
for stage, t in keys:
    by = {r[0]: r for r in rows if r[2] == stage and r[1] == t}
    secs = [by.get(s, (None,) * 7)[3] for s in sizes]
    peaks = [by.get(s, (None,) * 7)[5] for s in sizes]
    cpus = [by.get(s, (None,) * 7)[4] for s in sizes]
    bad = [f"{s}M {by[s][6]}" for s in sizes if s in by and by[s][6] != "ok"]
    steps = []
    for a, b, sa, sb in zip(secs, secs[1:], sizes, sizes[1:]):
        if a and b:
            x, g = int(sb) / int(sa), b / a
            verdict = "linear" if 0.6 * x <= g <= 1.6 * x else (
                "super-linear" if g > 1.6 * x else "sub-linear")
            steps.append(f"{sa}→{sb}M ×{g:.1f} ({verdict})")
            if verdict != "linear":
                notes.append(f"{stage} ({t} threads), {sa}M → {sb}M: time ×{g:.1f} for ×{x:.0f} "
                             "ratings")
    growth = "; ".join(steps) if steps else "-"
    md.append(f"| {stage} | {t} | " + " | ".join(f2(v) for v in secs) + " | " +
              " | ".join(f2(v, 1) for v in cpus) + " | " +
              " | ".join(f2(v, 0) for v in peaks) + f" | {growth}{' ' + '; '.join(bad) if bad else ''} |")
md.append("")
# parallel speedup
sp = []
for stage in ("similar 1000 users", "mf epoch", "sage epoch"):
    for s in sizes:
        a = next((r for r in rows if r[0] == s and r[2] == stage and r[1] == threads[0]), None)
        b = next((r for r in rows if r[0] == s and r[2] == stage and r[1] == threads[-1]), None)
        if a and b and a[3] and b[3] and a is not b:
            sp.append(f"| {stage} | {s}M | {a[3] / b[3]:.2f} |")
if sp:
    md += [f"Parallel speedup ({threads[0]} → {threads[-1]} threads, wall clock; on a loaded "
           "2-core machine the second core is often busy with other jobs):", "",
           "| stage | graph | speedup |", "|---|---|---|"] + sp + [""]
if notes:
    md += ["Not roughly linear:", ""] + [f"- {n}" for n in notes] + [""]
with open(os.path.join(out, "SCALE.md"), "w") as f:
    f.write("\n".join(md))
print("\n".join(md))
EOF
