/* rg_test.h: helpers shared by the cmocka tests: scratch paths, the real-data directory, and
 * small generated graphs. */
#ifndef RG_TEST_H
#define RG_TEST_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reelgraph/reelgraph.h"

/* A fresh path under the test scratch directory ($RG_TEST_TMP or /tmp), unique per process:
 * writes "<tmp>/<pid>-<name>" into buf and returns buf. */
char *rgt_tmp_path(char *buf, size_t size, const char *name);

/* $RG_DATA_DIR/<sub> when RG_DATA_DIR is set and the path exists; otherwise NULL after printing a
 * visible "SKIP: ..." line (callers then call skip()). */
const char *rgt_data_path(char *buf, size_t size, const char *sub);

/* BUILD/fixtures/<name>: the small hand-made fixtures that tests/data/make_fixtures.py writes
 * at configure time (an absolute path, so tests run from any directory).  Returns buf. */
char *rgt_fixture_path(char *buf, size_t size, const char *name);

/* Writes text (NUL-terminated) to a fresh scratch file named name; returns its path in buf. */
char *rgt_write_tmp(char *buf, size_t size, const char *name, const char *text);

/* Asserts rc == RG_SUCCESS and prints the library message when it is not. */
#define RGT_OK(expr)                                                                  \
    do {                                                                              \
        rg_error_t rgt_rc_ = (expr);                                                  \
        if (rgt_rc_ != RG_SUCCESS) {                                                  \
            print_error("%s failed: %s\n", #expr, rg_last_error_message());          \
        }                                                                             \
        assert_int_equal(rgt_rc_, RG_SUCCESS);                                        \
    } while (0)

/* |a - b| <= tol in double, printing both values on failure (cmocka 1.1 has no double assert). */
#define RGT_NEAR(a, b, tol)                                                           \
    do {                                                                              \
        double rgt_a_ = (double) (a), rgt_b_ = (double) (b);                          \
        if (!(fabs(rgt_a_ - rgt_b_) <= (double) (tol))) {                             \
            print_error("%s = %.17g, %s = %.17g, tolerance %g\n", #a, rgt_a_, #b,      \
                        rgt_b_, (double) (tol));                                      \
        }                                                                             \
        assert_true(fabs(rgt_a_ - rgt_b_) <= (double) (tol));                         \
    } while (0)

/* ---- small generated graphs (built through rg_dataset_* + rg_graph_build, the real path) ---- */

/* A graph from n rating triples in dataset ids.  Scale [1, 5] (widened to include the data).
 * ts may be NULL: then timestamps are 1000000000 + row index (input order = time order).  Every
 * distinct movie gets metadata: title "Movie <id>", year 1990 + id % 30 and genres from its id
 * (bit id % 6 and bit (id / 6 + 1) % 6 of the vocabulary Action, Comedy, Drama, Romance, Sci-Fi,
 * Thriller), so content models have features.  No demographics. */
rg_error_t rgt_graph_from_triples(rg_graph_t *g, int64_t n, const int64_t *users,
                                  const int64_t *movies, const float *ratings, const int64_t *ts);

/* A random graph with planted structure: rating = 3.5 + user bias + movie bias + <p_u, q_m> (rank 3)
 * + the user's taste for the movie's genres + small noise, rounded to whole stars in 1..5.  Each
 * user rates min(per_user, n_movies) distinct movies (movie popularity is skewed), timestamps
 * increase per user.  Dataset ids are NOT the internal ids: user u has id 100 + 2u, movie m has
 * id 1000 + 3m.  Six genres as above (one or two per movie), demographics for every user.
 * Deterministic for a seed.  A bias model fits it worse than a low-rank model or a genre-aware
 * one, so models can show they learn. */
rg_error_t rgt_graph_planted(rg_graph_t *g, int n_users, int n_movies, int per_user,
                             uint64_t seed);

/* ---- crafted model files (tests that attach refuses them) ---- */

/* Trains a model of `kind` to the end on g (as both the full and the training graph): init, every
 * rg_trainer_step, rg_trainer_finish.  On failure m is freed and the library error returned. */
rg_error_t rgt_model_train(rg_model_t *m, const char *kind, const rg_hparams_t *hp,
                           const rg_graph_t *g);

/* Saves m to path with tensor `name` altered in the file's tensor table only: renamed to new_name
 * (when not NULL) and/or cut to `rows` rows (when rows >= 0; must not exceed its rows).  The file
 * is otherwise valid, with a fresh checksum, as a crafted file would be.  m's table is restored
 * before returning.  RG_EINVAL when m has no such tensor or rows is too large. */
rg_error_t rgt_model_save_altered(rg_model_t *m, const char *path, const char *name,
                                  const char *new_name, int64_t rows);

#endif
