"""mf.py: PyTorch peer of reelgraph's `mf` (biased matrix factorisation with SVD++-style
implicit feedback).

    r(u, m) ~ mu + b_u + b_m + <p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j, q_m>
    N(u): the movies u rated in training (which movies, not the ratings)
    per rating: loss 0.5 e^2 + 0.5 reg (|p_u|^2 + |q_m|^2 + b_u^2 + b_m^2), plain SGD, lr / (1 + 0.05 epoch), factors
    initialised N(0, (0.1 / D^(1/4))^2), y and biases 0, all training ratings, fixed epochs.

Differences forced by Python: reelgraph updates after every rating; a per-rating loop in
PyTorch would run ~100x slower, so this peer takes SGD steps on mini-batches of --batch ratings
with the SUMMED loss.  reelgraph steps y once per epoch by two message passes over the store (so
its parallel SGD kernel stays race-free); here autograd steps y with every mini-batch through a
weighted embedding bag, which is the textbook SVD++ update (y unregularised, as in reelgraph's
default).  --no-implicit gives the plain
biased MF of earlier reelgraph versions.

usage: /usr/bin/python3 bench/peers/mf.py --data ML100K --train u1.base --test u1.test [opts]
Prints one JSON object on stdout (train --json keys), progress on stderr.
"""
import time

import numpy as np
import torch

import common

LR_DECAY = 0.05
INIT_STD = 0.1


class Implicit:
    """Each user's training movies as CSR arrays, so a batch's implicit parts
    |N(u)|^-1/2 sum_{j in N(u)} y_j come from one embedding_bag over just those rows."""

    def __init__(self, data):
        order = np.argsort(data.fit_u, kind="stable")
        self.idx = data.fit_m[order]
        counts = np.bincount(data.fit_u, minlength=data.n_users)
        self.ptr = np.concatenate([[0], np.cumsum(counts)])
        self.norm = 1.0 / np.sqrt(np.maximum(counts, 1)).astype(np.float32)

    def bag(self, u):
        """(flat movie ids, offsets, per-sample weights) of users u for F.embedding_bag."""
        starts, lens = self.ptr[u], self.ptr[u + 1] - self.ptr[u]
        offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])
        flat = np.repeat(starts - offsets, lens) + np.arange(lens.sum())
        weights = np.repeat(self.norm[u], lens)
        return (torch.from_numpy(self.idx[flat]), torch.from_numpy(offsets),
                torch.from_numpy(weights))


def main():
    parser = common.base_args("PyTorch biased MF with implicit feedback (peer of reelgraph mf)",
                              {"dim": 128, "epochs": 40, "lr": 0.01, "reg": 0.05, "batch": 256,
                               "val_fraction": 0.0})
    parser.add_argument("--no-implicit", action="store_true",
                        help="plain biased MF (no SVD++ term)")
    args = parser.parse_args()
    rng = common.setup(args)
    data = common.Data(args, rng)
    D = args.dim
    std = INIT_STD / D ** 0.25
    P = torch.nn.Parameter(torch.randn(data.n_users, D) * std)
    Q = torch.nn.Parameter(torch.randn(data.n_movies, D) * std)
    Y = torch.nn.Parameter(torch.zeros(data.n_movies, D))
    bu = torch.nn.Parameter(torch.zeros(data.n_users))
    bm = torch.nn.Parameter(torch.zeros(data.n_movies))
    implicit = not args.no_implicit
    params = [P, Q, bu, bm] + ([Y] if implicit else [])
    opt = torch.optim.SGD(params, lr=args.lr)
    imp = Implicit(data) if implicit else None
    u_all = torch.from_numpy(data.fit_u)
    m_all = torch.from_numpy(data.fit_m)
    r_all = torch.from_numpy(data.fit_r)
    n = len(r_all)
    mu = data.mu

    def user_factors(u):
        # x_u = p_u + |N(u)|^-1/2 sum y_j over the movies u rated in training
        if not implicit:
            return P[u]
        flat, offsets, weights = imp.bag(u.numpy())
        return P[u] + torch.nn.functional.embedding_bag(flat, Y, offsets, mode="sum",
                                                        per_sample_weights=weights)

    rec = common.Recorder("mf", args)
    for epoch in range(args.epochs):
        if rec.out_of_time():
            break
        t0 = time.monotonic()
        for g in opt.param_groups:
            g["lr"] = args.lr / (1.0 + LR_DECAY * epoch)
        order = torch.from_numpy(rng.permutation(n))
        sse = 0.0
        for s in range(0, n, args.batch):
            idx = order[s:s + args.batch]
            u, m, r = u_all[idx], m_all[idx], r_all[idx]
            xu, qm, bu_u, bm_m = user_factors(u), Q[m], bu[u], bm[m]
            pu = P[u]
            e = r - (mu + bu_u + bm_m + (xu * qm).sum(1))
            loss = 0.5 * (e * e).sum() + 0.5 * args.reg * (
                (pu * pu).sum() + (qm * qm).sum() + (bu_u * bu_u).sum() + (bm_m * bm_m).sum())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sse += float((e.detach() ** 2).sum())
        rec.epoch(sse / n, None, time.monotonic() - t0)
    with torch.no_grad():
        tu, tm = torch.from_numpy(data.test_u), torch.from_numpy(data.test_m)
        pred = (mu + bu[tu] + bm[tm] + (user_factors(tu) * Q[tm]).sum(1)).numpy()
    metrics = common.rating_metrics(pred, data.test_r, data.rmin, data.rmax)
    rec.finish(metrics, {"dim": D, "epochs": args.epochs, "lr": args.lr, "reg": args.reg,
                         "batch": args.batch, "implicit": implicit,
                         "optimizer": "sgd (summed mini-batch loss)"},
               n)


if __name__ == "__main__":
    main()
