"""mf.py: PyTorch peer of reelgraph's `mf` (biased matrix factorisation).

    r(u, m) ~ mu + b_u + b_m + <p_u, q_m>
    per rating: loss 0.5 e^2 + 0.5 reg (|p_u|^2 + |q_m|^2 + b_u^2 + b_m^2), plain SGD,
    lr / (1 + 0.05 epoch), factors initialised N(0, (0.1 / D^(1/4))^2), biases 0,
    all training ratings (no validation carve), fixed epochs.

That is reelgraph's configuration.  One difference is forced by Python: reelgraph updates after
every rating; a per-rating loop in PyTorch would run ~100x slower, so this peer takes SGD steps on
mini-batches of --batch ratings with the SUMMED loss (each rating contributes the gradient it
would alone, as in the per-rating update, only applied together).

usage: /usr/bin/python3 bench/peers/mf.py --data ML100K --train u1.base --test u1.test [opts]
Prints one JSON object on stdout (train --json keys), progress on stderr.
"""
import time

import numpy as np
import torch

import common

LR_DECAY = 0.05
INIT_STD = 0.1


def main():
    args = common.base_args("PyTorch biased MF (peer of reelgraph mf)",
                            {"dim": 128, "epochs": 40, "lr": 0.01, "reg": 0.05, "batch": 256,
                             "val_fraction": 0.0}).parse_args()
    rng = common.setup(args)
    data = common.Data(args, rng)
    D = args.dim
    std = INIT_STD / D ** 0.25
    P = torch.nn.Parameter(torch.randn(data.n_users, D) * std)
    Q = torch.nn.Parameter(torch.randn(data.n_movies, D) * std)
    bu = torch.nn.Parameter(torch.zeros(data.n_users))
    bm = torch.nn.Parameter(torch.zeros(data.n_movies))
    opt = torch.optim.SGD([P, Q, bu, bm], lr=args.lr)
    u_all = torch.from_numpy(data.fit_u)
    m_all = torch.from_numpy(data.fit_m)
    r_all = torch.from_numpy(data.fit_r)
    n = len(r_all)
    mu = data.mu

    def predict(u, m):
        return mu + bu[u] + bm[m] + (P[u] * Q[m]).sum(1)

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
            pu, qm, bu_u, bm_m = P[u], Q[m], bu[u], bm[m]
            e = r - (mu + bu_u + bm_m + (pu * qm).sum(1))
            loss = 0.5 * (e * e).sum() + 0.5 * args.reg * (
                (pu * pu).sum() + (qm * qm).sum() + (bu_u * bu_u).sum() + (bm_m * bm_m).sum())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sse += float((e.detach() ** 2).sum())
        rec.epoch(sse / n, None, time.monotonic() - t0)
    with torch.no_grad():
        pred = predict(torch.from_numpy(data.test_u), torch.from_numpy(data.test_m)).numpy()
    metrics = common.rating_metrics(pred, data.test_r, data.rmin, data.rmax)
    rec.finish(metrics, {"dim": D, "epochs": args.epochs, "lr": args.lr, "reg": args.reg,
                         "batch": args.batch, "optimizer": "sgd (summed mini-batch loss)"},
               n)


if __name__ == "__main__":
    main()
