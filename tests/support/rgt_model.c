/* rgt_model.c: crafted model files for the robustness tests; see rg_test.h. */
#include <stdio.h>
#include <string.h>

#include "rg_test.h"

rg_error_t rgt_model_train(rg_model_t *m, const char *kind, const rg_hparams_t *hp,
                           const rg_graph_t *g) {
    rg_error_t rc = RG_SUCCESS;
    rg_trainer_t t;
    int done = 0, started = 0;
    const rg_model_ops_t *ops = rg_model_find(kind);
    memset(&t, 0, sizeof t);
    if (!ops) {
        RG_ERROR(RG_EINVAL, "rgt_model_train: unknown kind '%s'", kind);
    }
    RG_CHECK(rg_model_init(m, ops, hp, NULL, g, g));
    RG_TRY(rg_trainer_init(&t, m, g));
    started = 1;
    while (!done) {
        RG_TRY(rg_trainer_step(&t, &done));
    }
    RG_TRY(rg_trainer_finish(&t));
cleanup:
    if (started) {
        rg_trainer_free(&t);
    }
    if (rc != RG_SUCCESS) {
        rg_model_free(m);
    }
    return rc;
}

rg_error_t rgt_model_save_altered(rg_model_t *m, const char *path, const char *name,
                                  const char *new_name, int64_t rows) {
    rg_tensor_t *t = NULL;
    for (int i = 0; i < m->n_tensors; i++) {
        if (!strcmp(m->tensors[i].name, name)) {
            t = &m->tensors[i];
        }
    }
    if (!t || rows > t->rows) {
        RG_ERROR(RG_EINVAL, "rgt_model_save_altered: no tensor '%s' with at least %lld rows",
                 name, (long long) rows);
    }
    rg_tensor_t saved = *t;
    if (new_name) {
        snprintf(t->name, sizeof t->name, "%s", new_name);
    }
    if (rows >= 0) {
        t->rows = rows;
    }
    rg_error_t rc = rg_model_save(m, path);
    *t = saved;
    return rc;
}
