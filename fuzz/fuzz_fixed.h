/* fuzz_fixed.h: small valid companion files for the harnesses that fuzz one file of a dataset
 * directory (invented data, shaped like the fixtures in tests/data). */
#ifndef RG_FUZZ_FIXED_H
#define RG_FUZZ_FIXED_H

#define RGF_ML100K_DATA "1\t1\t5\t874965758\n1\t2\t3\t876893171\n2\t1\t4\t878542960\n" \
                        "2\t3\t1\t876893119\n3\t2\t2\t889751712\n"
#define RGF_ML100K_USER "1|24|M|engineer|85711\n2|53|F|writer|94043\n3|23|M|student|32067\n"
#define RGF_ML1M_RATINGS "1::10::5::978300760\n1::20::3::978302109\n2::10::4::978298413\n" \
                         "2::30::2::978299000\n"
#define RGF_ML1M_USERS "1::F::1::10::48067\n2::M::56::16::70072\n"
#define RGF_MLLATEST_RATINGS "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n" \
                             "1,11,3.5,964981247\n2,1,0.5,964982224\n"

#endif

/* The small graph the model seeds are trained on and the model / --ratings harnesses use (same
 * data, same fingerprint): 40 users with demographics, 25 movies with titles and two of six
 * genres each, 10 ratings per user, timestamps increasing per user. */
#include <stdio.h>

#include "reelgraph/reelgraph.h"

static inline rg_error_t rgf_small_graph(rg_graph_t *g) {
    static const char *const genres[] = {"Action", "Comedy", "Drama", "Romance", "Sci-Fi",
                                         "Thriller"};
    rg_dataset_t d;
    rg_error_t rc = RG_SUCCESS;
    rg_dataset_init(&d);
    snprintf(d.name, sizeof d.name, "fuzz");
    d.rating_min = 1.0f;
    d.rating_max = 5.0f;
    d.n_genres = 6;
    for (int k = 0; k < 6; k++) {
        snprintf(d.genre_names[k], RG_NAME_MAX, "%s", genres[k]);
    }
    d.n_occupations = 2;
    snprintf(d.occupation_names[0], RG_NAME_MAX, "student");
    snprintf(d.occupation_names[1], RG_NAME_MAX, "writer");
    for (int m = 0; m < 25 && rc == RG_SUCCESS; m++) {
        char title[32];
        snprintf(title, sizeof title, "Film %d (%d)", 100 + m, 1980 + m);
        rc = rg_dataset_add_movie(&d, 100 + m, title, 1980 + m,
                                  (1u << (m % 6)) | (1u << ((m / 6 + 1) % 6)));
    }
    for (int u = 0; u < 40 && rc == RG_SUCCESS; u++) {
        rg_user_meta_t um;
        memset(&um, 0, sizeof um);
        um.id = 1 + u;
        um.age = 18 + u;
        um.gender = (uint8_t) (u % 2 ? RG_GENDER_F : RG_GENDER_M);
        um.occupation = u % 2;
        snprintf(um.zip, sizeof um.zip, "%05d", 10000 + u);
        rc = rg_dataset_add_user(&d, &um);
        for (int k = 0; k < 10 && rc == RG_SUCCESS; k++) {
            rg_rating_t r = {1 + u, 100 + (u * 7 + k * 3) % 25, (float) (1 + (u + 2 * k) % 5),
                             1000000000 + 100 * u + k};
            rc = rg_dataset_add_rating(&d, &r);
        }
    }
    if (rc == RG_SUCCESS) {
        rc = rg_graph_build(g, &d, NULL);
    }
    rg_dataset_free(&d);
    return rc;
}
