/* registry.c: the table of every model kind, in DESIGN.md order.  Each model file defines one
 * `const rg_model_ops_t rg_model_<name>`; adding a kind is one extern line and one table entry. */
#include <stddef.h>

#include "reelgraph/model.h"

extern const rg_model_ops_t rg_model_mean;
extern const rg_model_ops_t rg_model_bias;
extern const rg_model_ops_t rg_model_mf;

static const rg_model_ops_t *const rg_models[] = {
    &rg_model_mean,
    &rg_model_bias,
    &rg_model_mf,
    NULL,
};

const rg_model_ops_t *const *rg_model_list(void) { return rg_models; }
