/* content.h (private): what the tests need of the "content" model beyond the model interface.
 * Never installed. */
#ifndef RG_MODELS_CONTENT_H
#define RG_MODELS_CONTENT_H

#include <stdint.h>

#include "reelgraph/model.h"

/* Hidden width H of the content MLP. */
#define RG_CONTENT_HIDDEN 32

/* The content model's training objective on n (user, movie, rating) triples, n <= hp.batch:
 *   L = sum_i (pred_i - r_i)^2 / n + reg * sum_i (b_u[u_i]^2 + b_m[m_i]^2) / n
 * with the current tensors (movie_emb and user_emb as they stand).  When grads is non-NULL
 * (m->n_params floats laid out like m->params) dL/dparams is ACCUMULATED into it for the MLP
 * and bias tensors (the codes and profiles are inputs, not trained by this loss).  Needs the
 * training state of init (m->impl).  Errors: RG_EINVAL (no training state, n out of range). */
rg_error_t rg_i_content_loss(const rg_model_t *m, int64_t n, const int32_t *users,
                             const int32_t *movies, const float *ratings, float *grads,
                             double *loss);

#endif
