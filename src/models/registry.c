/* registry.c: the table of every model kind, in DESIGN.md order.  Each model file defines one
 * `const rg_model_ops_t rg_model_<name>`; adding a kind is one extern line and one table entry. */
#include <stddef.h>

#include "reelgraph/model.h"

extern const rg_model_ops_t rg_model_mean;
extern const rg_model_ops_t rg_model_bias;
extern const rg_model_ops_t rg_model_mf;
extern const rg_model_ops_t rg_model_knn_user;
extern const rg_model_ops_t rg_model_knn_item;
extern const rg_model_ops_t rg_model_bpr;
extern const rg_model_ops_t rg_model_rp3b;
extern const rg_model_ops_t rg_model_pop;
extern const rg_model_ops_t rg_model_autoencoder;
extern const rg_model_ops_t rg_model_content;
extern const rg_model_ops_t rg_model_hybrid;
extern const rg_model_ops_t rg_model_rnn;
extern const rg_model_ops_t rg_model_lstm;
extern const rg_model_ops_t rg_model_ggnn;
extern const rg_model_ops_t rg_model_sage;

static const rg_model_ops_t *const rg_models[] = {
    &rg_model_mean,
    &rg_model_bias,
    &rg_model_mf,
    &rg_model_knn_user,
    &rg_model_knn_item,
    &rg_model_bpr,
    &rg_model_rp3b,
    &rg_model_pop,
    &rg_model_autoencoder,
    &rg_model_content,
    &rg_model_rnn,
    &rg_model_lstm,
    &rg_model_ggnn,
    &rg_model_sage,
    &rg_model_hybrid,
    NULL,
};

const rg_model_ops_t *const *rg_model_list(void) { return rg_models; }
