/* cf_community.h: shared by test_bpr.c and test_rp3b.c (the top-N models): a graph with planted
 * communities, where WHICH movies a user rates carries the structure (the signal implicit-feedback
 * rankers learn), a seeded random test split of it, and the expected precision@k of a random
 * ranking under the DESIGN.md top-N protocol. */
#ifndef CF_COMMUNITY_H
#define CF_COMMUNITY_H

#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

/* n_groups communities of users and of movies (user u and movie m belong to u % n_groups and
 * m % n_groups).  Each user rates `per_user` distinct movies: a fraction `inside` of them from
 * its own community with 4 or 5 stars, the rest elsewhere with 1 to 3 stars.  Dataset ids
 * 10 + u and 500 + m.  Deterministic for a seed. */
static inline void cf_community_graph(rg_graph_t *g, int n_users, int n_movies, int n_groups,
                                      int per_user, double inside, uint64_t seed) {
    int64_t n = (int64_t) n_users * per_user;
    int64_t *users = malloc((size_t) n * sizeof *users);
    int64_t *movies = malloc((size_t) n * sizeof *movies);
    float *ratings = malloc((size_t) n * sizeof *ratings);
    uint8_t *taken = malloc((size_t) n_movies);
    assert_non_null(users);
    assert_non_null(movies);
    assert_non_null(ratings);
    assert_non_null(taken);
    rg_rng_t r;
    rg_rng_init(&r, seed);
    int64_t e = 0;
    for (int u = 0; u < n_users; u++) {
        memset(taken, 0, (size_t) n_movies);
        for (int a = 0; a < per_user; a++) {
            int own = rg_rng_uniform(&r) < inside, m;
            do {
                m = (int) rg_rng_below(&r, (uint64_t) n_movies);
            } while (taken[m] || ((m % n_groups) == (u % n_groups)) != own);
            taken[m] = 1;
            users[e] = 10 + u;
            movies[e] = 500 + m;
            ratings[e] = own ? (float) (4 + rg_rng_below(&r, 2)) : (float) (1 + rg_rng_below(&r, 3));
            e++;
        }
    }
    RGT_OK(rgt_graph_from_triples(g, e, users, movies, ratings, NULL));
    free(users);
    free(movies);
    free(ratings);
    free(taken);
}

/* A graph and a seeded random test split of it (train = full minus test). */
typedef struct {
    rg_graph_t full, train;
    uint8_t *is_test;
} cf_split_t;

static inline void cf_split_init(cf_split_t *s, const char *spec, uint64_t seed) {
    rg_split_spec_t sp;
    memset(&sp, 0, sizeof sp);
    sp.seed = seed;
    s->is_test = malloc((size_t) s->full.n_ratings);
    uint8_t *keep = malloc((size_t) s->full.n_ratings);
    assert_non_null(s->is_test);
    assert_non_null(keep);
    RGT_OK(rg_split_parse(&sp, spec));
    RGT_OK(rg_split_apply(&s->full, &sp, s->is_test, NULL));
    for (int64_t e = 0; e < s->full.n_ratings; e++) {
        keep[e] = !s->is_test[e];
    }
    RGT_OK(rg_graph_filter(&s->train, &s->full, keep, NULL));
    free(keep);
}

static inline void cf_split_free(cf_split_t *s) {
    rg_graph_free(&s->train);
    rg_graph_free(&s->full);
    free(s->is_test);
}

/* Expected precision@k of a uniformly random ranking of each test user's unrated movies,
 * averaged over the users with a relevant test movie (rating >= rating_max - 1). */
static inline double cf_random_precision(const cf_split_t *s) {
    double sum = 0.0;
    int64_t n_users = 0;
    for (int32_t u = 0; u < (int32_t) s->full.n_users; u++) {
        int64_t n_rel = 0;
        for (int64_t e = s->full.user_ptr[u]; e < s->full.user_ptr[u + 1]; e++) {
            n_rel += s->is_test[e] && s->full.rating[e] >= s->full.rating_max - 1.0f;
        }
        if (n_rel > 0) {
            sum += (double) n_rel / (double) (s->full.n_movies - rg_graph_user_degree(&s->train, u));
            n_users++;
        }
    }
    return n_users > 0 ? sum / (double) n_users : 0.0;
}

/* Trains `name` on s->train without a validation carve; hp fields set by the caller are kept. */
static inline void cf_train(rg_model_t *m, const char *name, rg_hparams_t *hp,
                            const rg_graph_t *full, const rg_graph_t *train) {
    rg_split_spec_t sp;
    rg_trainer_t t;
    int done = 0;
    memset(&sp, 0, sizeof sp);
    const rg_model_ops_t *ops = rg_model_find(name);
    assert_non_null(ops);
    RGT_OK(rg_model_init(m, ops, hp, &sp, full, train));
    RGT_OK(rg_trainer_init(&t, m, train));
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
}

#endif
