/* pop.c: the popularity ranker, the reference every top-N model is judged against.
 *
 * A movie's score is its number of training ratings (its degree in the training graph), the same
 * for every user; seen movies are excluded by the caller (rg_evaluate, rg_recommend).  It predicts
 * no ratings.  The one tensor, "movie_pop" (M, 1), holds the degrees so a loaded model ranks
 * without its graph, and it doubles as the fold-in answer: a user who is not in the graph gets
 * the popularity ranking whatever ratings are given.
 */
#include <string.h>

#include "reelgraph/model.h"

/* ---- training ---- */

static rg_error_t pop_init(rg_model_t *m, const rg_graph_t *train) {
    (void) train;
    rg_hp_default_i(&m->hp.epochs, 1);
    RG_CHECK(rg_model_declare(m, "movie_pop", RG_DTYPE_F32, m->n_movies, 1));
    return rg_model_alloc(m);
}

/* movie_pop[j] = degree of j in g: O(M). */
static rg_error_t pop_count(rg_model_t *m, const rg_graph_t *g) {
    float *pop = rg_model_f32(m, "movie_pop");
    if (pop == NULL) {
        RG_ERROR(RG_EFORMAT, "pop: model has no movie_pop tensor");
    }
    if (g->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "pop: graph has %lld movies, the model %lld",
                 (long long) g->n_movies, (long long) m->n_movies);
    }
    for (int32_t j = 0; j < (int32_t) m->n_movies; j++) {
        pop[j] = (float) rg_graph_movie_degree(g, j);
    }
    return RG_SUCCESS;
}

static rg_error_t pop_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss) {
    (void) epoch;
    *loss = 0.0;
    return pop_count(m, train);
}

/* ---- prediction ---- */

/* Recounts on the graph given: after training that is all the training ratings (the epochs saw
 * them minus the trainer's validation carve); after loading it reproduces the saved counts.  The
 * tensor is checked first, so a crafted file with a short movie_pop is refused, not overrun. */
static rg_error_t pop_attach(rg_model_t *m, const rg_graph_t *train) {
    RG_CHECK(rg_model_expect(m, "movie_pop", RG_DTYPE_F32, train->n_movies, 1));
    return pop_count(m, train);
}

/* out (n_movies): the training degree of each movie.  O(M), thread-safe. */
static rg_error_t pop_score(const rg_model_t *m, const rg_graph_t *train, int32_t u, float *out) {
    (void) train;
    if (u < 0 || u >= m->n_users) {
        RG_ERROR(RG_ERANGE, "pop: user %d out of range [0, %lld)", u, (long long) m->n_users);
    }
    memcpy(out, rg_model_f32(m, "movie_pop"), (size_t) m->n_movies * sizeof *out);
    return RG_SUCCESS;
}

/* A new user gets the popularity ranking: the given ratings do not change it. */
static rg_error_t pop_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                              const int32_t *movies, const float *ratings, float *out) {
    (void) train;
    (void) movies;
    (void) ratings;
    if (n < 0) {
        RG_ERROR(RG_EINVAL, "pop: negative rating count %lld", (long long) n);
    }
    memcpy(out, rg_model_f32(m, "movie_pop"), (size_t) m->n_movies * sizeof *out);
    return RG_SUCCESS;
}

static void pop_release(rg_model_t *m) { m->impl = NULL; }

const rg_model_ops_t rg_model_pop = {
    .name = "pop",
    .summary = "popularity ranker: movies by number of training ratings (top-N reference)",
    .predicts_ratings = 0,
    .init = pop_init,
    .epoch = pop_epoch,
    .attach = pop_attach,
    .predict = NULL,
    .score = pop_score,
    .fold_in = pop_fold_in,
    .release = pop_release,
    .val_fraction_default = -1.0f, /* nothing fitted: use every training rating */
};
