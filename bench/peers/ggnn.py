"""ggnn.py: PyTorch peer of reelgraph's `ggnn` (GRU-based gated GNN, T rounds).

Same model and training scheme as src/models/ggnn.c, user side only (reelgraph also updates
each target movie's state from its raters on graphs of up to 250K ratings; bench/gnn_speed.sh
compares the two without it, --fanout 64,0):
    p_u, e_m = id embedding + feature rows    (genres; gender, age bucket, occupation: the
                                           table of common.Data.node_features)
    a_u   = [mean_m e_m | mean_m (r_um - mu) e_m]   plain and centred-rating-weighted means of
                                           the user's movies' inputs (2D; at most S movies in
                                           training, a uniform sample)
    h_u^0 = p_u;  h_u^t = GRUCell(a_u, h_u^{t-1}), t = 1..T (one cell shared by all rounds)
    z     = dropout([h_u^T | e_m | h_u^T * e_m])   (dropout in training only, p = --dropout)
    r^    = mu + b_u + b_m + w2 . relu(W1 z + b1) + b2 + v . z + h_u^T . e_m
                                           (MLP, a linear path and a dot path)
Training units: every epoch each user's ratings are shuffled and dealt into K = 5 folds; unit
(u, f) computes u's state from the ratings outside fold f and is trained on the ratings in it,
so a rating never feeds its own prediction.  Batches are random sets of units holding about
--batch target ratings.  Loss: mean squared error.  Adam (0.9, 0.999, 1e-8), learning rate
cosine-decayed to lr/10 over the epochs, coupled L2 = reg: lazy (SparseAdam, L2 on the touched
rows) for the id embeddings and biases, dense for the feature table, the GRU and the decoder.
Init: embeddings U(-0.1, 0.1), GRU weights Xavier-uniform per gate, W1 He-uniform, w2 and v
Xavier-uniform, biases 0.  Validation carve, per-epoch validation RMSE and the final
full-neighbourhood state as in sage.py; validation and test use the moving average of the
parameters over the last 3 epochs of steps (common.ParamAverage).  Batch assembly is
vectorised (numpy), the model is plain torch.nn (GRUCell, Linear, Embedding).

usage: /usr/bin/python3 bench/peers/ggnn.py --data ML100K --train u1.base --test u1.test [opts]
"""
import time

import numpy as np
import torch

import common

FOLDS = 5
INIT_BOUND = 0.1
AVG_EPOCHS = 3  # horizon of the parameter average, as reelgraph's RG_GGNN_AVG_EPOCHS


class GGNN(torch.nn.Module):
    def __init__(self, U, M, D, T, dropout, feats):
        super().__init__()
        self.T, self.U = T, U
        self.register_buffer("feats", feats)
        self.feat_emb = torch.nn.Parameter(torch.empty(feats.shape[1], D))
        self.drop = torch.nn.Dropout(dropout)
        self.user_emb = torch.nn.Embedding(U, D, sparse=True)
        self.movie_emb = torch.nn.Embedding(M, D, sparse=True)
        self.user_bias = torch.nn.Embedding(U, 1, sparse=True)
        self.movie_bias = torch.nn.Embedding(M, 1, sparse=True)
        self.gru = torch.nn.GRUCell(2 * D, D)
        self.l1 = torch.nn.Linear(3 * D, D)
        self.l2 = torch.nn.Linear(D, 1)
        self.lin = torch.nn.Linear(3 * D, 1, bias=False)
        for e in (self.user_emb, self.movie_emb):
            torch.nn.init.uniform_(e.weight, -INIT_BOUND, INIT_BOUND)
        torch.nn.init.uniform_(self.feat_emb, -INIT_BOUND, INIT_BOUND)
        for e in (self.user_bias, self.movie_bias):
            torch.nn.init.zeros_(e.weight)
        for w in (self.gru.weight_ih, self.gru.weight_hh):
            for gate in w.data.chunk(3, 0):
                torch.nn.init.xavier_uniform_(gate)
        torch.nn.init.zeros_(self.gru.bias_ih)
        torch.nn.init.zeros_(self.gru.bias_hh)
        torch.nn.init.kaiming_uniform_(self.l1.weight, a=0.0, nonlinearity="relu")
        torch.nn.init.xavier_uniform_(self.l2.weight)
        torch.nn.init.xavier_uniform_(self.lin.weight)
        torch.nn.init.zeros_(self.l1.bias)
        torch.nn.init.zeros_(self.l2.bias)

    def user_in(self, users):
        return self.user_emb(users) + self.feats[users] @ self.feat_emb

    def movie_in(self, movies):
        return self.movie_emb(movies) + self.feats[self.U + movies] @ self.feat_emb

    def state(self, users, seg, msg_movie, msg_r, mu):
        """h^T of each unit: users (n), messages (segment, movie, rating)."""
        n, D = len(users), self.movie_emb.embedding_dim
        e = self.movie_in(msg_movie)
        deg = torch.bincount(seg, minlength=n).clamp(min=1).unsqueeze(1).float()
        a0 = torch.zeros(n, D).index_add_(0, seg, e) / deg
        a1 = torch.zeros(n, D).index_add_(0, seg, (msg_r - mu).unsqueeze(1) * e) / deg
        x = torch.cat([a0, a1], 1)
        h = self.user_in(users)
        for _ in range(self.T):
            h = self.gru(x, h)
        return h

    def head(self, h, movies, users):
        e = self.movie_in(movies)
        z = self.drop(torch.cat([h, e, h * e], 1))
        s = self.l2(torch.relu(self.l1(z)))[:, 0] + self.lin(z)[:, 0] + (h * e).sum(1)
        return s + self.user_bias(users)[:, 0] + self.movie_bias(movies)[:, 0]


def main():
    args = common.base_args("PyTorch GRU-GNN (peer of reelgraph ggnn)",
                            {"dim": 32, "epochs": 40, "lr": 0.003, "reg": 0.001, "batch": 512,
                             "val_fraction": 0.05})
    args.add_argument("--steps", type=int, default=3, help="GRU rounds T")
    args.add_argument("--fanout", default="64", help="message cap S in training")
    args.add_argument("--dropout", type=float, default=0.2, help="decoder input dropout")
    args = args.parse_args()
    S = int(args.fanout.split(",")[0])
    rng = common.setup(args)
    data = common.Data(args, rng)
    U, M, D = data.n_users, data.n_movies, args.dim
    model = GGNN(U, M, D, args.steps, args.dropout, torch.from_numpy(data.node_features()))
    sparse = [model.user_emb.weight, model.movie_emb.weight, model.user_bias.weight,
              model.movie_bias.weight]
    dense = list(model.gru.parameters()) + list(model.l1.parameters()) + list(model.l2.parameters()) + \
        list(model.lin.parameters()) + [model.feat_emb]
    opt_sparse = torch.optim.SparseAdam(sparse, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    opt_dense = torch.optim.Adam(dense, lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=args.reg)
    mu = data.mu

    # fit ratings grouped by user
    o = np.argsort(data.fit_u, kind="stable")
    fu, fm, fr = data.fit_u[o], data.fit_m[o], data.fit_r[o]
    deg = np.bincount(fu, minlength=U)
    ptr = np.concatenate([[0], np.cumsum(deg)])
    pos_in_user = np.arange(len(fu)) - ptr[fu]
    ku_of_user = np.minimum(deg, FOLDS)

    def predict(users_all, movies_all, ru, rm, rr):
        """states from every listed rating (ru, rm, rr), then the head on the queried pairs."""
        model.eval()
        with torch.no_grad():
            h = model.state(torch.arange(U), torch.from_numpy(ru), torch.from_numpy(rm),
                            torch.from_numpy(rr), mu)
            u, m = torch.from_numpy(users_all), torch.from_numpy(movies_all)
            pred = (mu + model.head(h[u], m, u)).numpy()
        model.train()
        return pred

    rec = common.Recorder("ggnn", args)
    best = common.BestKeeper(model, args.patience)
    avg = common.ParamAverage(model.parameters(),
                              AVG_EPOCHS * ((len(fu) + args.batch - 1) // args.batch))
    for epoch in range(args.epochs):
        if rec.out_of_time():
            break
        t0 = time.monotonic()
        common.set_lr([opt_sparse, opt_dense], common.cosine_lr(args.lr, epoch, args.epochs))
        # shuffle within each user: a random key per rating, sorted inside the user's range
        key = fu + rng.random(len(fu))
        perm = np.argsort(key, kind="stable")
        em, er = fm[perm], fr[perm]           # ratings of each user in a random order
        fold = pos_in_user % np.maximum(ku_of_user[fu], 1)
        units_u = np.repeat(np.arange(U), ku_of_user)
        units_f = np.arange(len(units_u)) - np.repeat(np.cumsum(ku_of_user) - ku_of_user,
                                                      ku_of_user)
        shuffle = rng.permutation(len(units_u))
        units_u, units_f = units_u[shuffle], units_f[shuffle]
        n_targets = (deg[units_u] - units_f + ku_of_user[units_u] - 1) // ku_of_user[units_u]
        cum = np.cumsum(n_targets)
        # a batch closes at the first unit that brings it to --batch targets
        bounds, start, base = [], 0, 0
        while start < len(units_u):
            end = int(np.searchsorted(cum, base + args.batch, side="left")) + 1
            end = min(max(end, start + 1), len(units_u))
            bounds.append((start, end))
            base = cum[end - 1]
            start = end
        sse, n_seen = 0.0, 0
        for start, end in bounds:
            bu, bf = units_u[start:end], units_f[start:end]
            d = deg[bu]
            seg = np.repeat(np.arange(len(bu)), d)
            idx = np.repeat(ptr[bu], d) + (np.arange(d.sum()) - np.repeat(np.cumsum(d) - d, d))
            f_of = fold[idx]
            is_target = f_of == bf[seg]
            i_pos = pos_in_user[idx]
            ku = ku_of_user[bu][seg]
            f_seg = bf[seg]
            msg_rank = i_pos - (i_pos + ku - 1 - f_seg) // ku
            is_msg = ~is_target & ((S <= 0) | (msg_rank < S))
            t_seg, t_m, t_r = seg[is_target], em[idx[is_target]], er[idx[is_target]]
            m_seg, m_m, m_r = seg[is_msg], em[idx[is_msg]], er[idx[is_msg]]
            users = torch.from_numpy(bu)
            h = model.state(users, torch.from_numpy(m_seg), torch.from_numpy(m_m),
                            torch.from_numpy(m_r), mu)
            tseg, tm = torch.from_numpy(t_seg), torch.from_numpy(t_m)
            tu = users[tseg]
            pred = mu + model.head(h[tseg], tm, tu)
            e = pred - torch.from_numpy(t_r)
            mt = torch.unique(torch.cat([tm, torch.from_numpy(m_m)]))
            ut = torch.unique(users)
            tmu = torch.unique(tm)
            l2 = 0.5 * args.reg * ((model.user_emb(ut) ** 2).sum() + (model.movie_emb(mt) ** 2).sum()
                                   + (model.user_bias(ut) ** 2).sum()
                                   + (model.movie_bias(tmu) ** 2).sum())
            loss = (e * e).mean() + l2
            opt_sparse.zero_grad(set_to_none=True)
            opt_dense.zero_grad(set_to_none=True)
            loss.backward()
            opt_sparse.step()
            opt_dense.step()
            avg.step()
            sse += float((e.detach() ** 2).sum())
            n_seen += len(t_r)
        val, stop = None, False
        if len(data.val_r):
            avg.swap()
            p = predict(data.val_u, data.val_m, fu, fm, fr)
            val = common.rating_metrics(p, data.val_r, data.rmin, data.rmax)["rmse"]
            stop = best.epoch(val)
            avg.swap()
        rec.epoch(sse / max(n_seen, 1), val, time.monotonic() - t0)
        if stop:
            break
    avg.swap()
    best.restore()
    pred = predict(data.test_u, data.test_m, data.train_u, data.train_m, data.train_r)
    metrics = common.rating_metrics(pred, data.test_r, data.rmin, data.rmax)
    rec.finish(metrics, {"dim": D, "epochs": args.epochs, "lr": args.lr, "reg": args.reg,
                         "batch": args.batch, "steps": args.steps, "fanout": [S],
                         "dropout": args.dropout,
                         "val_fraction": args.val_fraction, "patience": args.patience}, len(fu))


if __name__ == "__main__":
    main()
