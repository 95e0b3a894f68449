"""suite_report.py: turns the raw runs of bench/suite.sh into results.csv and RESULTS.md.

usage: python3 bench/suite_report.py OUT_DIR
Reads OUT_DIR/raw/manifest.tsv (label, section, dataset, split, model, impl), and per label
LABEL.json (the run's one JSON object), LABEL.time (/usr/bin/time -v), LABEL.status (exit code)
and LABEL.loss.csv; writes OUT_DIR/results.csv, OUT_DIR/RESULTS.md and, for every model run by
both implementations, OUT_DIR/curves/u1-MODEL-vs-torch.svg (validation or train loss per epoch).
A run that failed or was stopped by the time box is kept in the tables with its status.
"""
import csv
import json
import math
import os
import re
import statistics
import sys

# Reference figures: (figure, value, protocol, source).  Copied from the project's issues 5 and 6
# (which give the literature sources and the measurements made on this machine before reelgraph).
REFERENCES = [
    ("Surprise BaselineOnly RMSE", "0.960", "ML-100K u1.base -> u1.test", "issue 5, measured on this machine"),
    ("LIBMF (tuned) RMSE", "0.917 in 0.5 s", "ML-100K u1", "issue 5, measured on this machine"),
    ("Surprise SVD RMSE", "0.951", "ML-100K u1", "issue 5, measured on this machine"),
    ("Surprise KNNBaseline RMSE", "0.933", "ML-100K u1", "issue 5, measured on this machine"),
    ("Surprise KNNBasic (cosine) RMSE", "1.023", "ML-100K u1", "issue 5, measured on this machine"),
    ("GC-MC RMSE", "0.910", "ML-100K u1", "literature (Berg et al. 2017), via issues 5/6"),
    ("IGMC RMSE", "0.905", "ML-100K u1", "literature (Zhang & Chen 2020), via issue 6"),
    ("GLocal-K RMSE", "0.889", "ML-100K u1", "literature (Han et al. 2021), via issue 6"),
    ("PyTorch GRU-GNN RMSE", "0.929; 1.7 s/epoch (T=3, 2 threads)", "ML-100K u1", "issue 6, measured on this machine"),
    ("PyTorch GraphSAGE RMSE", "0.925; 3.0 s/epoch (full neighbourhood, 64-d, 2 threads)", "ML-100K u1", "issue 6, measured on this machine"),
    ("seed report MLP (content) test MSE", "1.0427", "seed's own random split of ML-100K", "seed report, via issue 5"),
    ("seed report autoencoder reconstruction MSE", "0.04574", "held-out movies' genre vectors", "seed report, via issue 5"),
    ("seed report RNN MSE", "0.9559 (RMSE 0.978)", "seed's own split", "seed report, via issue 6"),
    ("seed report LSTM MSE", "1.0238 (RMSE 1.012)", "seed's own split", "seed report, via issue 6"),
    ("seed report GNN MSE", "0.7754", "seed's own split (not comparable to u1)", "seed report, via issue 6"),
    ("seed report GraphSAGE MSE", "7.62 (zero movie features)", "seed's own split", "seed report, via issue 6"),
    ("popularity P@10 / R@10 / NDCG@10", "0.214 / 0.118 / 0.245", "ML-100K u1, DESIGN.md top-N protocol", "issue 5, measured on this machine"),
    ("tuned PyTorch MF NDCG@10", "0.198", "ML-100K u1, top-N protocol", "issue 5, measured on this machine"),
    ("Surprise SVD++ NDCG@10", "0.151", "ML-100K u1, top-N protocol", "issue 5, measured on this machine"),
    ("BiasedMF RMSE", "0.845", "ML-1M random 90/10", "AutoRec paper (Sedhain et al. 2015), via issue 5"),
    ("Surprise SVD RMSE", "0.873", "ML-1M 5-fold", "Surprise documentation, via issue 5"),
]

CSV_FIELDS = ["section", "dataset", "split", "model", "impl", "status", "rmse", "mae", "mse",
              "precision_at_10", "recall_at_10", "ndcg_at_10", "hit_rate_at_10", "coverage",
              "epochs", "best_epoch", "train_seconds", "seconds_per_epoch", "peak_rss_mb",
              "wall_seconds", "cpu_seconds", "note"]


def read_time(path):
    """(peak RSS MB, wall seconds, user + system CPU seconds) from /usr/bin/time -v output,
    None when absent."""
    peak = wall = cpu = None
    try:
        text = open(path).read()
    except OSError:
        return None, None, None
    u = re.search(r"User time \(seconds\): ([\d.]+)", text)
    k = re.search(r"System time \(seconds\): ([\d.]+)", text)
    if u and k:
        cpu = float(u.group(1)) + float(k.group(1))
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        peak = int(m.group(1)) / 1024.0
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    if m:
        parts = [float(x) for x in m.group(1).split(":")]
        wall = 0.0
        for p in parts:
            wall = wall * 60 + p
    return peak, wall, cpu


def status_text(code):
    if code == "0":
        return "ok"
    if code in ("124", "137"):
        return "timeout"
    return f"failed (exit {code})"


def load_run(raw, label):
    rec = {}
    code = open(os.path.join(raw, label + ".status")).read().strip() \
        if os.path.exists(os.path.join(raw, label + ".status")) else "missing"
    rec["status"] = status_text(code)
    j = None
    try:
        text = open(os.path.join(raw, label + ".json")).read().strip()
        if text:
            j = json.loads(text.splitlines()[-1])
    except (OSError, ValueError):
        j = None
    peak, wall, cpu = read_time(os.path.join(raw, label + ".time"))
    rec["peak_rss_mb"] = peak if peak is not None else (j or {}).get("peak_rss_mb")
    rec["wall_seconds"] = wall
    rec["cpu_seconds"] = cpu
    if rec["status"] == "ok" and j is None:
        rec["status"] = "failed (no JSON)"
    if rec["status"] != "ok":
        err = ""
        try:
            lines = [l for l in open(os.path.join(raw, label + ".err")).read().splitlines() if l]
            err = lines[-1][:160] if lines else ""
        except OSError:
            pass
        rec["note"] = err
    if j:
        for k in ("rmse", "mae", "mse", "coverage", "epochs", "best_epoch", "train_seconds"):
            rec[k] = j.get(k)
        rec["precision_at_10"] = j.get("precision_at_k")
        rec["recall_at_10"] = j.get("recall_at_k")
        rec["ndcg_at_10"] = j.get("ndcg_at_k")
        rec["hit_rate_at_10"] = j.get("hit_rate_at_k")
        hist = j.get("history") or []
        secs = [h["seconds"] for h in hist if h.get("seconds") is not None]
        rec["seconds_per_epoch"] = j.get("seconds_per_epoch") or (
            sum(secs) / len(secs) if secs else None)
        rec["history"] = hist
        rec["params"] = j.get("params", {})
        if j.get("stopped_early"):
            rec["status"] = f"ok, time budget: {len(hist)} of {j.get('epochs_planned')} epochs"
        if isinstance(j.get("report"), dict):  # the model's report tensors (see its source)
            parts = []
            for k, v in j["report"].items():
                vals = v if isinstance(v, list) else [v]
                parts.append(k + " " + ", ".join(f"{x:.4g}" if isinstance(x, (int, float))
                                                 else str(x) for x in vals))
            rec["note"] = "; ".join(parts)
    return rec


def fmt(v, nd=4):
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        return f"{v:.{nd}f}"
    return str(v)


def pm(values, nd=4):
    vals = [v for v in values if v is not None]
    if not vals:
        return "-"
    if len(vals) == 1:
        return f"{vals[0]:.{nd}f}"
    return f"{statistics.mean(vals):.{nd}f} ± {statistics.stdev(vals):.{nd}f}"


def svg_curves(path, title, series):
    """A small hand-written SVG line chart: series = [(name, colour, [(epoch, value)])]."""
    pts = [p for _, _, s in series for p in s if p[1] is not None]
    if not pts:
        return False
    W, H, L, R, T, B = 640, 360, 60, 160, 30, 40
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    if x1 == x0:
        x1 = x0 + 1
    if y1 - y0 < 1e-9:
        y1 = y0 + 1e-3
    pad = 0.05 * (y1 - y0)
    y0, y1 = y0 - pad, y1 + pad
    sx = lambda x: L + (x - x0) / (x1 - x0) * (W - L - R)
    sy = lambda y: T + (y1 - y) / (y1 - y0) * (H - T - B)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L}" y="18">{title}</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>']
    for i in range(5):
        y = y0 + (y1 - y0) * i / 4
        out.append(f'<text x="{L - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.3f}</text>')
        out.append(f'<line x1="{L}" y1="{sy(y):.1f}" x2="{W - R}" y2="{sy(y):.1f}" '
                   f'stroke="#ddd"/>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 8}" text-anchor="middle">epoch '
               f'({int(x0)}..{int(x1)})</text>')
    for k, (name, colour, s) in enumerate(series):
        s = [p for p in s if p[1] is not None]
        if not s:
            continue
        d = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{d}"/>')
        out.append(f'<line x1="{W - R + 10}" y1="{T + 10 + 18 * k}" x2="{W - R + 30}" '
                   f'y2="{T + 10 + 18 * k}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{W - R + 34}" y="{T + 14 + 18 * k}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def main():
    out_dir = sys.argv[1]
    raw = os.path.join(out_dir, "raw")
    header = {}
    for line in open(os.path.join(raw, "header.env")):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            header[k] = v
    rows, runs = [], {}
    for line in open(os.path.join(raw, "manifest.tsv")):
        label, section, dataset, split, model, impl = line.rstrip("\n").split("\t")
        if label not in runs:
            runs[label] = load_run(raw, label)
        r = dict(runs[label])
        r.update(section=section, dataset=dataset, split=split, model=model, impl=impl,
                 label=label)
        rows.append(r)

    with open(os.path.join(out_dir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in CSV_FIELDS})

    md = ["# reelgraph benchmark results", "",
          "Generated by `bash bench/suite.sh" + (" --quick" if header.get("quick") == "1" else "")
          + "` (do not edit by hand; rerun the suite).", "",
          f"- run: {header.get('started')} to {header.get('finished', '(still running)')} UTC, commit "
          f"{header.get('commit')}" + (f" (+{header.get('dirty')} modified tracked files)"
                                       if header.get("dirty", "0") != "0" else ""),
          f"- machine: {header.get('cpu')}, {header.get('cores')} cores, "
          f"{header.get('mem_gb')} GB; **shared with other jobs during the run**: load average "
          f"(1/5/15 min) {header.get('load_start')} at the start, {header.get('load_end', '-')} at "
          f"the end, so wall-clock times are pessimistic and noisy",
          f"- threads: {header.get('threads')} for reelgraph (`--threads`) and for PyTorch "
          f"(`torch.set_num_threads`); OMP_WAIT_POLICY={header.get('omp_wait_policy')}; "
          f"PyTorch {header.get('torch')}",
          "- peak memory: maximum resident set size of the whole process (`/usr/bin/time -v`), "
          "MB; train s: the command's own training time; s/epoch: mean epoch time (including "
          "the per-epoch validation pass where the model has one)",
          "- growth with the graph (synthetic 1M to 25M ratings, 1 and 2 threads): "
          "[SCALE.md](SCALE.md), from `bash bench/scale.sh`", ""]

    def section(name):
        return [r for r in rows if r["section"] == name]

    u1 = section("u1")
    if u1:
        md += ["## Every model on ML-100K u1.base → u1.test", "",
               "Rating metrics on the 20,000 u1.test ratings (predictions clipped to 1..5); "
               "top-N per DESIGN.md (every movie unrated in training ranked, relevant = test "
               "rating ≥ 4, @10). Defaults of each model (no tuning on u1.test).", "",
               "| model | status | RMSE | MAE | MSE | P@10 | R@10 | NDCG@10 | HR@10 | coverage "
               "| epochs | train s | s/epoch | CPU s | peak MB | loss curve | note |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in u1:
            png = f"curves/u1-{r['model']}.png"
            curve = "-"
            if os.path.exists(os.path.join(out_dir, png)):
                if (r.get("epochs") or 0) > 1:
                    curve = f"[png]({png})"
                else:
                    os.remove(os.path.join(out_dir, png))  # one point: no curve to show
            md.append(f"| {r['model']} | {r['status']} | {fmt(r.get('rmse'))} | "
                      f"{fmt(r.get('mae'))} | {fmt(r.get('mse'))} | "
                      f"{fmt(r.get('precision_at_10'))} | {fmt(r.get('recall_at_10'))} | "
                      f"{fmt(r.get('ndcg_at_10'))} | {fmt(r.get('hit_rate_at_10'))} | "
                      f"{fmt(r.get('coverage'))} | {fmt(r.get('epochs'))} | "
                      f"{fmt(r.get('train_seconds'), 2)} | {fmt(r.get('seconds_per_epoch'), 3)} "
                      f"| {fmt(r.get('cpu_seconds'), 2)} | {fmt(r.get('peak_rss_mb'), 0)} | "
                      f"{curve} | {r.get('note', '')} |")
        md.append("")

    peers = section("peer")
    if peers:
        md += ["## Side by side: reelgraph vs PyTorch peers (ML-100K u1, same run)", "",
               "The peers (`bench/peers/*.py`) implement the same model, initialisation, "
               "optimizer, schedule, sampling and validation carve, with the hyper-parameters "
               "reelgraph reported for its own u1 run above; they read the MovieLens files "
               "directly. Speed ratio = PyTorch s/epoch ÷ reelgraph s/epoch (wall clock). On a "
               "machine shared with other jobs the wall clock of a multi-threaded program with "
               "many short parallel regions suffers most (every barrier waits for a descheduled "
               "thread), so the CPU columns are given too: process CPU seconds (user + system, "
               "whole run incl. start-up, validation and test) per epoch, and their ratio.", "",
               "| model | config | reelgraph RMSE | PyTorch RMSE | Δ RMSE (rg − torch) | "
               "reelgraph s/epoch | PyTorch s/epoch | speed ratio | reelgraph CPU s/epoch | "
               "PyTorch CPU s/epoch | CPU ratio | reelgraph peak MB | PyTorch peak MB | "
               "PyTorch status |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for p in peers:
            ours = next((r for r in u1 if r["model"] == p["model"]), {})
            d = (ours.get("rmse") - p["rmse"]) if ours.get("rmse") is not None and \
                p.get("rmse") is not None else None
            ratio = (p["seconds_per_epoch"] / ours["seconds_per_epoch"]) \
                if p.get("seconds_per_epoch") and ours.get("seconds_per_epoch") else None
            def cpu_per_epoch(r):
                return r["cpu_seconds"] / r["epochs"] if r.get("cpu_seconds") is not None and \
                    r.get("epochs") else None
            c_ours, c_peer = cpu_per_epoch(ours), cpu_per_epoch(p)
            cratio = c_peer / c_ours if c_ours and c_peer else None
            cfg = ", ".join(f"{k} {v}" for k, v in (p.get("params") or {}).items()
                            if k in ("dim", "epochs", "lr", "reg", "batch", "steps", "fanout"))
            md.append(f"| {p['model']} | {cfg} | {fmt(ours.get('rmse'))} | {fmt(p.get('rmse'))} "
                      f"| {fmt(d)} | {fmt(ours.get('seconds_per_epoch'), 3)} | "
                      f"{fmt(p.get('seconds_per_epoch'), 3)} | "
                      f"{'-' if ratio is None else f'{ratio:.1f}x'} | {fmt(c_ours, 3)} | "
                      f"{fmt(c_peer, 3)} | {'-' if cratio is None else f'{cratio:.1f}x'} | "
                      f"{fmt(ours.get('peak_rss_mb'), 0)} | {fmt(p.get('peak_rss_mb'), 0)} | "
                      f"{p['status']} |")
            # loss curves of both
            def curve(hist):
                key = "val_loss" if any(h.get("val_loss") is not None for h in hist) \
                    else "train_loss"
                return key, [(h["epoch"], h.get(key)) for h in hist]
            if ours.get("history") and p.get("history"):
                k1, c1 = curve(ours["history"])
                k2, c2 = curve(p["history"])
                name = f"curves/u1-{p['model']}-vs-torch.svg"
                if svg_curves(os.path.join(out_dir, name),
                              f"{p['model']} on ML-100K u1: {k1} (reelgraph) / {k2} (PyTorch)",
                              [("reelgraph", "#c0392b", c1), ("PyTorch", "#2e6da4", c2)]):
                    md[-1] += f" [curves]({name})"
        md.append("")

    fold = section("5fold")
    if fold:
        md += ["## ML-100K 5-fold (u1..u5), mean ± std over the folds", "",
               "| model | folds ok | RMSE | MAE | MSE | NDCG@10 | train s (mean) |",
               "|---|---|---|---|---|---|---|"]
        for model in dict.fromkeys(r["model"] for r in fold):
            rs = [r for r in fold if r["model"] == model]
            ok = [r for r in rs if r["status"] == "ok"]
            bad = sorted({r["status"] for r in rs if r["status"] != "ok"})
            md.append(f"| {model} | {len(ok)}/{len(rs)}{' (' + ', '.join(bad) + ')' if bad else ''}"
                      f" | {pm([r.get('rmse') for r in ok])} | {pm([r.get('mae') for r in ok])} | "
                      f"{pm([r.get('mse') for r in ok])} | {pm([r.get('ndcg_at_10') for r in ok])}"
                      f" | {pm([r.get('train_seconds') for r in ok], 2)} |")
        md.append("")

    m1 = section("ml-1m")
    if m1:
        md += ["## ML-1M, random 90/10 split, seed 42 (`--split random:0.1 --seed 42`)", "",
               "| model | status | RMSE | MAE | MSE | NDCG@10 | epochs | train s | s/epoch | "
               "peak MB | note |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in m1:
            md.append(f"| {r['model']} | {r['status']} | {fmt(r.get('rmse'))} | "
                      f"{fmt(r.get('mae'))} | {fmt(r.get('mse'))} | {fmt(r.get('ndcg_at_10'))} | "
                      f"{fmt(r.get('epochs'))} | {fmt(r.get('train_seconds'), 2)} | "
                      f"{fmt(r.get('seconds_per_epoch'), 3)} | {fmt(r.get('peak_rss_mb'), 0)} | "
                      f"{r.get('note', '')} |")
        md.append("")

    md += ["## Reference figures", "",
           "Copied from the project's issues 5 and 6, each with its protocol; only rows with the "
           "same protocol as a table above are directly comparable.", "",
           "| figure | value | protocol | source |", "|---|---|---|---|"]
    md += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in REFERENCES]
    md.append("")
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        md += ["## Runs that did not finish", ""]
        md += [f"- {r['label']} ({r['impl']}): {r['status']} {r.get('note', '')}" for r in bad]
        md.append("")
    with open(os.path.join(out_dir, "RESULTS.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
