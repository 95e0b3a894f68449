"""common.py: what the PyTorch peers of bench/suite.sh share.

The peers re-implement three reelgraph models (mf, sage, ggnn) in PyTorch with the same
configuration, so bench/suite.sh can measure the speed ratio and the accuracy difference in the
same run on the same machine.  They read the MovieLens-100K files directly (u?.base / u?.test,
u.item, u.user, u.occupation), never a reelgraph snapshot.

Run with Debian's interpreter (/usr/bin/python3, which has python3-torch), CPU only.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch


def base_args(description, defaults):
    """Command-line options every peer takes; `defaults` maps option name to its default (the
    reelgraph model's default, which bench/suite.sh overrides with the values reelgraph reports)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", required=True, help="ML-100K directory (u.item, u.user, ...)")
    p.add_argument("--train", required=True, help="training ratings (u1.base format)")
    p.add_argument("--test", required=True, help="test ratings (u1.test format)")
    p.add_argument("--dim", type=int, default=defaults["dim"])
    p.add_argument("--epochs", type=int, default=defaults["epochs"])
    p.add_argument("--lr", type=float, default=defaults["lr"])
    p.add_argument("--reg", type=float, default=defaults["reg"])
    p.add_argument("--batch", type=int, default=defaults.get("batch", 256))
    p.add_argument("--val-fraction", type=float, default=defaults.get("val_fraction", 0.0))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--loss-csv", help="write epoch,train_loss,val_loss,seconds here")
    p.add_argument("--patience", type=int, default=0,
                   help="stop after this many epochs without a better validation RMSE and test "
                        "with the best epoch's parameters, as reelgraph's trainer (0 = run every "
                        "epoch, test with the last)")
    p.add_argument("--max-seconds", type=float, default=0.0,
                   help="stop starting epochs after this much training time (0 = no limit); "
                        "the JSON then says stopped_early and reports the epochs run")
    return p


def setup(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return np.random.default_rng(args.seed)


def read_ratings(path):
    """(user_id, movie_id, rating) arrays of a tab-separated u.data-format file."""
    a = np.loadtxt(path, dtype=np.int64, usecols=(0, 1, 2), ndmin=2)
    return a[:, 0], a[:, 1], a[:, 2].astype(np.float32)


class Data:
    """ML-100K ids mapped to dense ids over the catalogue (u.item) and users (u.user), the
    training ratings split into fit + validation (seeded, like reelgraph's trainer carve), the
    test ratings, and the node features sage uses."""

    def __init__(self, args, rng):
        d = args.data
        self.movie_ids = []
        self.genres = []
        with open(os.path.join(d, "u.item"), encoding="latin-1") as f:
            for line in f:
                parts = line.rstrip("\n").split("|")
                if len(parts) < 6:
                    continue
                self.movie_ids.append(int(parts[0]))
                self.genres.append([int(x) for x in parts[5:]])
        self.genres = np.array(self.genres, dtype=np.float32)
        occ_names = [l.strip() for l in open(os.path.join(d, "u.occupation"), encoding="latin-1")
                     if l.strip()]
        occ_index = {n: i for i, n in enumerate(occ_names)}
        self.user_ids, ages, genders, occs = [], [], [], []
        with open(os.path.join(d, "u.user"), encoding="latin-1") as f:
            for line in f:
                parts = line.strip().split("|")
                if len(parts) < 4:
                    continue
                self.user_ids.append(int(parts[0]))
                ages.append(int(parts[1]))
                genders.append(parts[2])
                occs.append(occ_index.get(parts[3], -1))
        self.n_users, self.n_movies = len(self.user_ids), len(self.movie_ids)
        self.n_occupations = len(occ_names)
        umap = {u: i for i, u in enumerate(self.user_ids)}
        mmap = {m: i for i, m in enumerate(self.movie_ids)}
        self.ages, self.gender, self.occ = ages, genders, occs

        tu, tm, tr = read_ratings(args.train)
        self.train_u = np.array([umap[x] for x in tu], dtype=np.int64)
        self.train_m = np.array([mmap[x] for x in tm], dtype=np.int64)
        self.train_r = tr
        su, sm, sr = read_ratings(args.test)
        self.test_u = np.array([umap[x] for x in su], dtype=np.int64)
        self.test_m = np.array([mmap[x] for x in sm], dtype=np.int64)
        self.test_r = sr
        self.mu = float(self.train_r.mean())
        self.rmin, self.rmax = float(self.train_r.min()), float(self.train_r.max())

        n = len(self.train_r)
        n_val = int(round(args.val_fraction * n))
        val = np.zeros(n, dtype=bool)
        if 0 < n_val < n:
            val[rng.permutation(n)[:n_val]] = True
        self.val_mask = val
        self.fit_u, self.fit_m, self.fit_r = self.train_u[~val], self.train_m[~val], self.train_r[~val]
        self.val_u, self.val_m, self.val_r = self.train_u[val], self.train_m[val], self.train_r[val]

    def user_features(self):
        """(n_users, 2 + 7 + n_occupations) one-hot gender, age bucket, occupation (the buckets
        of reelgraph's sage: <18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+)."""
        lower = [18, 25, 35, 45, 50, 56]
        f = np.zeros((self.n_users, 2 + 7 + self.n_occupations), dtype=np.float32)
        for i in range(self.n_users):
            if self.gender[i] in ("M", "F"):
                f[i, 1 if self.gender[i] == "F" else 0] = 1.0
            f[i, 2 + sum(self.ages[i] >= x for x in lower)] = 1.0
            if self.occ[i] >= 0:
                f[i, 9 + self.occ[i]] = 1.0
        return f


    def node_features(self):
        """(n_users + n_movies, G + 2 + 7 + n_occupations): reelgraph's feature table
        (gnn_common.h) over global node ids: movies' genres weighted 1/#genres, users'
        one-hot gender, age bucket and occupation."""
        genres = self.genres / np.maximum(self.genres.sum(1, keepdims=True), 1.0)
        uf = self.user_features()
        U, G = self.n_users, genres.shape[1]
        f = np.zeros((U + self.n_movies, G + uf.shape[1]), dtype=np.float32)
        f[U:, :G] = genres
        f[:U, G:] = uf
        return f


class BestKeeper:
    """reelgraph's early stopping (trainer.c): the parameters of the best validation epoch are
    kept; after `patience` epochs without a better one, training stops (0: never stops, the last
    epoch's parameters are used)."""

    def __init__(self, model, patience):
        self.model, self.patience = model, patience
        self.best, self.state, self.since = float("inf"), None, 0

    def epoch(self, val):
        """Records an epoch's validation RMSE (the model holding the parameters it was taken
        with); returns True when training should stop."""
        if self.patience <= 0 or val is None:
            return False
        if val < self.best:
            self.best, self.since = val, 0
            self.state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        else:
            self.since += 1
        return self.since >= self.patience

    def restore(self):
        if self.patience > 0 and self.state is not None:
            self.model.load_state_dict(self.state)


class ParamAverage:
    """reelgraph's parameter averaging (gnn_common.h rg_i_gnn_avg_*): an exponential moving
    average of the parameters over `horizon` optimiser steps (the plain mean of the first
    iterates until then), updated every horizon/32 steps; swap() exchanges it with the live
    parameters, for validation and test, and swaps back before training resumes."""

    def __init__(self, params, horizon):
        horizon = max(horizon, 1.0)
        self.params = list(params)
        self.every = max(int(horizon / 32.0), 1)
        self.beta = (1.0 - 1.0 / horizon) ** self.every
        self.avg = [p.detach().clone() for p in self.params]
        self.steps, self.n_avg = 0, 0

    @torch.no_grad()
    def step(self):
        if self.steps % self.every == 0:
            self.n_avg += 1
            w = max(1.0 / self.n_avg, 1.0 - self.beta)
            for a, p in zip(self.avg, self.params):
                a.add_(p.detach() - a, alpha=w)
        self.steps += 1

    @torch.no_grad()
    def swap(self):
        for a, p in zip(self.avg, self.params):
            tmp = p.detach().clone()
            p.copy_(a)
            a.copy_(tmp)


def cosine_lr(lr, epoch, epochs, floor=0.1):
    """reelgraph's GNN schedule (gnn_common.c rg_i_gnn_lr): cosine decay from lr at epoch 0 to
    floor * lr at the last epoch."""
    total = max(epochs - 1, 1)
    frac = min(epoch, total) / total
    return floor * lr + (lr - floor * lr) * 0.5 * (1.0 + math.cos(math.pi * frac))


def set_lr(optimizers, lr):
    for opt in optimizers:
        for g in opt.param_groups:
            g["lr"] = lr


def rating_metrics(pred, truth, rmin, rmax):
    p = np.clip(pred, rmin, rmax)
    e = p - truth
    mse = float(np.mean(e * e))
    return {"rmse": mse ** 0.5, "mae": float(np.mean(np.abs(e))), "mse": mse}


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Recorder:
    """Per-epoch history and the final JSON object (keys named like reelgraph train --json)."""

    def __init__(self, name, args):
        self.name, self.args, self.history = name, args, []
        self.t_start = time.monotonic()
        self.stopped = False

    def out_of_time(self):
        """True once --max-seconds of training have passed (the run then stops early)."""
        limit = self.args.max_seconds
        self.stopped = limit > 0 and time.monotonic() - self.t_start > limit
        return self.stopped

    def epoch(self, train_loss, val_loss, seconds):
        self.history.append({"epoch": len(self.history) + 1, "train_loss": train_loss,
                             "val_loss": val_loss, "seconds": seconds})
        print(f"{self.name} epoch {len(self.history)}: train {train_loss:.4f} val "
              f"{val_loss if val_loss is None else round(val_loss, 4)} {seconds:.2f} s",
              file=sys.stderr)

    def finish(self, metrics, params, n_train):
        train_seconds = time.monotonic() - self.t_start
        if self.args.loss_csv:
            with open(self.args.loss_csv, "w") as f:
                f.write("epoch,train_loss,val_loss,seconds\n")
                for h in self.history:
                    v = "" if h["val_loss"] is None else f"{h['val_loss']:.6f}"
                    f.write(f"{h['epoch']},{h['train_loss']:.6f},{v},{h['seconds']:.6f}\n")
        secs = [h["seconds"] for h in self.history]
        out = {"model": self.name, "implementation": f"pytorch {torch.__version__}",
               "threads": torch.get_num_threads(), **metrics, "epochs": len(self.history),
               "train_seconds": train_seconds,
               "seconds_per_epoch": sum(secs) / len(secs) if secs else None,
               "peak_rss_mb": peak_rss_mb(), "n_train": int(n_train),
               "params": params, "stopped_early": self.stopped,
               "epochs_planned": self.args.epochs, "history": self.history}
        print(json.dumps(out))
