"""sage.py: PyTorch peer of reelgraph's `sage` (GraphSAGE, two mean-aggregator layers).

Same model and training scheme as src/models/sage.c:
    x_v  = emb[v] + feat_v @ feat_emb     id embedding + node features (movie genres weighted
                                          1/#genres; user gender, age bucket, occupation one-hot)
    h1_v = dropout(relu(W1 [x_v | mean_{S2(v)} x_n | mean_{S2(v)} (r_vn - mu) x_n] + b1))
    h2_v =      W2 [h1_v | mean_{S1(v)} h1_n | mean_{S1(v)} (r_vn - mu) h1_n] + b2
    r^   = mu + b_u + b_m + h2_u . h2_m   (the third part of each layer's input is the
                                          rating-aware channel: centred-rating weighted mean;
                                          dropout only in training, p = --dropout)
Mini-batches of --batch training ratings; for their users and movies, F1 neighbours are sampled
uniformly without replacement, then F2 for every node of that layer (the batch's own ratings
excluded from both hops, so a rating never feeds its own prediction).  Loss: mean squared error.
Adam (0.9, 0.999, 1e-8), learning rate cosine-decayed to lr/10 over the epochs, coupled
L2 = reg: lazy (SparseAdam, L2 on the touched rows) for the id embeddings and the biases, dense
for the feature table and the layers.  Init: embeddings
U(-0.1, 0.1), W1 He-uniform, W2 Xavier-uniform, biases 0.  A seeded --val-fraction of the
training ratings is held out; each epoch ends with a full-neighbourhood pass over the rest and
the validation RMSE (as reelgraph's trainer does); the test predictions use the full
neighbourhoods of all training ratings.  Validation and test use the moving average of the
parameters over the last 3 epochs of steps (common.ParamAverage), training continues from the
optimiser's own iterate, as reelgraph does.  Sampling is vectorised in torch (no Python per node).

usage: /usr/bin/python3 bench/peers/sage.py --data ML100K --train u1.base --test u1.test [opts]
"""
import time

import numpy as np
import torch

import common

INIT_BOUND = 0.1
AVG_EPOCHS = 3  # horizon of the parameter average, as reelgraph's RG_SAGE_AVG_EPOCHS


class Graph:
    """Undirected CSR over global node ids (users 0..U-1, movies U..U+M-1) with edge ids shared
    by both directions."""

    def __init__(self, U, M, users, movies, ratings):
        N, E = U + M, len(users)
        self.r = torch.from_numpy(ratings)
        src = np.concatenate([users, U + movies])
        dst = np.concatenate([U + movies, users])
        eid = np.concatenate([np.arange(E), np.arange(E)])
        order = np.argsort(src, kind="stable")
        self.ptr = torch.from_numpy(np.concatenate([[0], np.cumsum(np.bincount(src, minlength=N))]))
        self.idx = torch.from_numpy(dst[order])
        self.eid = torch.from_numpy(eid[order])
        self.N, self.E = N, E

    def edges_of(self, nodes):
        """(segment, position) of every edge of `nodes` (segment = index into nodes)."""
        start = self.ptr[nodes]
        deg = self.ptr[nodes + 1] - start
        seg = torch.repeat_interleave(torch.arange(len(nodes)), deg)
        first = torch.cumsum(deg, 0) - deg
        pos = torch.repeat_interleave(start - first, deg) + torch.arange(int(deg.sum()))
        return seg, pos

    def sample(self, nodes, fanout, excluded, gen):
        """Uniform sample of at most `fanout` neighbours of each node without replacement
        (fanout <= 0: every neighbour, as reelgraph's sampler), skipping edges whose id is marked
        in `excluded`.  Returns (segment, neighbour, rating)."""
        seg, pos = self.edges_of(nodes)
        keep = ~excluded[self.eid[pos]]
        seg, pos = seg[keep], pos[keep]
        if fanout <= 0:
            return seg, self.idx[pos], self.r[self.eid[pos]]
        key = torch.rand(len(seg), generator=gen, dtype=torch.float64) + seg.double()
        order = torch.argsort(key)
        seg, pos = seg[order], pos[order]
        counts = torch.bincount(seg, minlength=len(nodes))
        first = torch.cumsum(counts, 0) - counts
        rank = torch.arange(len(seg)) - first[seg]
        sel = rank < fanout
        return seg[sel], self.idx[pos[sel]], self.r[self.eid[pos[sel]]]

    def full(self, nodes):
        seg, pos = self.edges_of(nodes)
        return seg, self.idx[pos], self.r[self.eid[pos]]


def aggregate(h_src, seg, src_local, r, mu, n_dst):
    """[mean | centred-rating weighted mean] over each dst's listed sources (0 when none), as
    two sparse (n_dst, n_src) x dense products."""
    inv = 1.0 / torch.bincount(seg, minlength=n_dst).clamp(min=1).float()
    idx = torch.stack([seg, src_local])
    shape = (n_dst, h_src.shape[0])
    a = torch.sparse.mm(torch.sparse_coo_tensor(idx, inv[seg], shape), h_src)
    ar = torch.sparse.mm(torch.sparse_coo_tensor(idx, (r - mu) * inv[seg], shape), h_src)
    return a, ar


class Sage(torch.nn.Module):
    def __init__(self, U, M, feats, D, dropout, mu):
        super().__init__()
        self.U, self.mu = U, mu
        self.drop = torch.nn.Dropout(dropout)
        self.emb = torch.nn.Embedding(U + M, D, sparse=True)
        self.bias = torch.nn.Embedding(U + M, 1, sparse=True)
        self.register_buffer("feats", feats)
        self.feat_emb = torch.nn.Parameter(torch.empty(feats.shape[1], D))
        self.l1 = torch.nn.Linear(3 * D, D)
        self.l2 = torch.nn.Linear(3 * D, D)
        torch.nn.init.uniform_(self.emb.weight, -INIT_BOUND, INIT_BOUND)
        torch.nn.init.uniform_(self.feat_emb, -INIT_BOUND, INIT_BOUND)
        torch.nn.init.zeros_(self.bias.weight)
        torch.nn.init.kaiming_uniform_(self.l1.weight, a=0.0, nonlinearity="relu")
        torch.nn.init.xavier_uniform_(self.l2.weight)
        torch.nn.init.zeros_(self.l1.bias)
        torch.nn.init.zeros_(self.l2.bias)

    def inputs(self, nodes):
        return self.emb(nodes) + self.feats[nodes] @ self.feat_emb

    def layers(self, x2, n1_in_2, seg2, src2, r2, n0_in_1, seg1, src1, r1, n1, n0):
        a2, ar2 = aggregate(x2, seg2, src2, r2, self.mu, n1)
        h1 = self.drop(torch.relu(self.l1(torch.cat([x2[n1_in_2], a2, ar2], 1))))
        a1, ar1 = aggregate(h1, seg1, src1, r1, self.mu, n0)
        return self.l2(torch.cat([h1[n0_in_1], a1, ar1], 1))


def local(ids, universe):
    """positions of ids in the sorted unique array `universe`."""
    return torch.searchsorted(universe, ids)


def main():
    args = common.base_args("PyTorch GraphSAGE (peer of reelgraph sage)",
                            {"dim": 128, "epochs": 40, "lr": 0.003, "reg": 0.001, "batch": 2048,
                             "val_fraction": 0.05})
    args.add_argument("--fanout", default="0,0",
                      help="F1,F2 neighbours per layer, 0 = all (reelgraph's default up to 250K "
                           "ratings)")
    args.add_argument("--dropout", type=float, default=0.0, help="layer-1 output dropout")
    args = args.parse_args()
    F1, F2 = (int(x) for x in args.fanout.split(","))
    rng = common.setup(args)
    data = common.Data(args, rng)
    U, M, D = data.n_users, data.n_movies, args.dim
    model = Sage(U, M, torch.from_numpy(data.node_features()), D, args.dropout, data.mu)
    sparse = [model.emb.weight, model.bias.weight]
    dense = [model.feat_emb] + list(model.l1.parameters()) + list(model.l2.parameters())
    opt_sparse = torch.optim.SparseAdam(sparse, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    opt_dense = torch.optim.Adam(dense, lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=args.reg)
    fit = Graph(U, M, data.fit_u, data.fit_m, data.fit_r)
    full = Graph(U, M, data.train_u, data.train_m, data.train_r)
    fu, fm, fr = (torch.from_numpy(x) for x in (data.fit_u, data.fit_m, data.fit_r))
    gen = torch.Generator().manual_seed(args.seed)
    mu = data.mu

    def predict_all(g, users, movies):
        """full-neighbourhood inference over every node of g, then the rating head."""
        model.eval()
        with torch.no_grad():
            nodes = torch.arange(g.N)
            seg, nb, r = g.full(nodes)
            h = model.layers(model.inputs(nodes), nodes, seg, nb, r, nodes, seg, nb, r, g.N, g.N)
            u, m = torch.from_numpy(users), torch.from_numpy(movies) + U
            b = model.bias.weight[:, 0]
            pred = (mu + b[u] + b[m] + (h[u] * h[m]).sum(1)).numpy()
        model.train()
        return pred

    rec = common.Recorder("sage", args)
    excluded = torch.zeros(fit.E, dtype=torch.bool)
    best = common.BestKeeper(model, args.patience)
    avg = common.ParamAverage(model.parameters(),
                              AVG_EPOCHS * ((fit.E + args.batch - 1) // args.batch))
    for epoch in range(args.epochs):
        t0 = time.monotonic()
        common.set_lr([opt_sparse, opt_dense], common.cosine_lr(args.lr, epoch, args.epochs))
        order = torch.randperm(fit.E, generator=gen)
        sse = 0.0
        if rec.out_of_time():
            break
        for s in range(0, fit.E, args.batch):
            eids = order[s:s + args.batch]
            bu, bm, br = fu[eids], fm[eids] + U, fr[eids]
            excluded[eids] = True
            n0 = torch.unique(torch.cat([bu, bm]))
            seg1, nb1, r1 = fit.sample(n0, F1, excluded, gen)
            n1 = torch.unique(torch.cat([n0, nb1]))
            seg2, nb2, r2 = fit.sample(n1, F2, excluded, gen)
            n2 = torch.unique(torch.cat([n1, nb2]))
            excluded[eids] = False
            h = model.layers(model.inputs(n2), local(n1, n2), seg2, local(nb2, n2), r2,
                             local(n0, n1), seg1, local(nb1, n1), r1, len(n1), len(n0))
            iu, im = local(bu, n0), local(bm, n0)
            pred = mu + model.bias(bu)[:, 0] + model.bias(bm)[:, 0] + (h[iu] * h[im]).sum(1)
            e = pred - br
            l2 = 0.5 * args.reg * ((model.emb(n2) ** 2).sum() +
                                   (model.bias(torch.unique(torch.cat([bu, bm]))) ** 2).sum())
            loss = (e * e).mean() + l2
            opt_sparse.zero_grad(set_to_none=True)
            opt_dense.zero_grad(set_to_none=True)
            loss.backward()
            opt_sparse.step()
            opt_dense.step()
            avg.step()
            sse += float((e.detach() ** 2).sum())
        val, stop = None, False
        if len(data.val_r):
            avg.swap()
            p = predict_all(fit, data.val_u, data.val_m)
            val = common.rating_metrics(p, data.val_r, data.rmin, data.rmax)["rmse"]
            stop = best.epoch(val)
            avg.swap()
        rec.epoch(sse / fit.E, val, time.monotonic() - t0)
        if stop:
            break
    avg.swap()
    best.restore()
    pred = predict_all(full, data.test_u, data.test_m)
    metrics = common.rating_metrics(pred, data.test_r, data.rmin, data.rmax)
    rec.finish(metrics, {"dim": D, "epochs": args.epochs, "lr": args.lr, "reg": args.reg,
                         "batch": args.batch, "fanout": [F1, F2], "dropout": args.dropout,
                         "val_fraction": args.val_fraction, "patience": args.patience}, fit.E)


if __name__ == "__main__":
    main()
