/* loss.c: training objectives with their gradients (see nn.h).
 *
 * Each loss is summed in double and divided by the caller's `norm`; gradients are accumulated
 * into caller buffers.  Stable forms throughout: softplus(x) = max(x,0) + log1p(exp(-|x|)) never
 * overflows, and log-sum-exp subtracts the row maximum (started from the first element) before
 * exponentiating, because exp of a logit above ~88 overflows float and the answer is unchanged.
 */
#include <math.h>

#include "reelgraph/nn.h"

/* log(1 + exp(x)) without overflow or loss of precision for large |x|. */
static inline double rg_i_softplus(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

/* 1 / (1 + exp(-x)) evaluated with exp of a non-positive argument only. */
static inline double rg_i_sigmoid(double x) {
    if (x >= 0.0) {
        return 1.0 / (1.0 + exp(-x));
    }
    double e = exp(x);
    return e / (1.0 + e);
}

double rg_loss_mse(float *dpred, const float *pred, const float *target, const float *weight,
                   int64_t n, double norm) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double wi = weight ? (double) weight[i] : 1.0;
        double e = (double) pred[i] - (double) target[i];
        sum += wi * e * e;
        if (dpred) {
            dpred[i] += (float) (2.0 * wi * e / norm);
        }
    }
    return sum / norm;
}

double rg_loss_bce_logits(float *dlogit, const float *logit, const float *target,
                          const float *weight, int64_t n, double norm) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double wi = weight ? (double) weight[i] : 1.0;
        double x = logit[i], t = target[i];
        /* -t log s(x) - (1-t) log(1 - s(x)) = softplus(x) - t x */
        sum += wi * (rg_i_softplus(x) - t * x);
        if (dlogit) {
            dlogit[i] += (float) (wi * (rg_i_sigmoid(x) - t) / norm);
        }
    }
    return sum / norm;
}

double rg_loss_bpr(float *dpos, float *dneg, const float *s_pos, const float *s_neg, int64_t n,
                   double norm) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double x = (double) s_pos[i] - (double) s_neg[i];
        /* -log sigmoid(x) = softplus(-x);  d/dx = -sigmoid(-x) */
        sum += rg_i_softplus(-x);
        float g = (float) (rg_i_sigmoid(-x) / norm);
        if (dpos) {
            dpos[i] -= g;
        }
        if (dneg) {
            dneg[i] += g;
        }
    }
    return sum / norm;
}

/* logsumexp of z_j = x_j - (lq ? lq_j : 0), j < N; subtracts the max first. */
static double rg_i_logsumexp(const float *x, const float *lq, int N) {
    double mx = (double) x[0] - (lq ? (double) lq[0] : 0.0);
    for (int j = 1; j < N; j++) {
        double z = (double) x[j] - (lq ? (double) lq[j] : 0.0);
        mx = z > mx ? z : mx;
    }
    double s = 0.0;
    for (int j = 0; j < N; j++) {
        s += exp((double) x[j] - (lq ? (double) lq[j] : 0.0) - mx);
    }
    return mx + log(s);
}

/* One softmax cross-entropy row over z = x - lq with target column t. */
static double rg_i_xent_row(float *dx, const float *x, const float *lq, int N, int t,
                            double norm) {
    double lse = rg_i_logsumexp(x, lq, N);
    double zt = (double) x[t] - (lq ? (double) lq[t] : 0.0);
    if (dx) {
        for (int j = 0; j < N; j++) {
            double p = exp((double) x[j] - (lq ? (double) lq[j] : 0.0) - lse);
            dx[j] += (float) ((p - (j == t ? 1.0 : 0.0)) / norm);
        }
    }
    return lse - zt;
}

double rg_loss_softmax_xent(float *dlogits, const float *logits, const int32_t *target, int B,
                            int N, double norm) {
    double sum = 0.0;
    for (int b = 0; b < B; b++) {
        size_t o = (size_t) b * (size_t) N;
        sum += rg_i_xent_row(dlogits ? dlogits + o : NULL, logits + o, NULL, N, target[b], norm);
    }
    return sum / norm;
}

double rg_loss_sampled_softmax(float *dlogits, const float *logits, const float *log_q, int B,
                               int S, double norm) {
    double sum = 0.0;
    for (int b = 0; b < B; b++) {
        size_t o = (size_t) b * (size_t) S;
        sum += rg_i_xent_row(dlogits ? dlogits + o : NULL, logits + o, log_q ? log_q + o : NULL,
                             S, 0, norm);
    }
    return sum / norm;
}
