/* dataset.c: the growable dataset a reader fills and the builder consumes (graph.h).
 * Arrays grow geometrically; titles are copied one allocation each (tens of thousands at most). */
#include <stdlib.h>
#include <string.h>

#include "reelgraph/graph.h"

void rg_dataset_init(rg_dataset_t *d) {
    memset(d, 0, sizeof *d);
}

void rg_dataset_free(rg_dataset_t *d) {
    if (d->movies) {
        for (int64_t i = 0; i < d->n_movies; i++) {
            free(d->movies[i].title);
        }
    }
    free(d->ratings);
    free(d->movies);
    free(d->users);
    memset(d, 0, sizeof *d);
}

/* Grows *arr (elements of size elem, capacity *cap) to hold at least need elements. */
static rg_error_t rg_i_grow(void **arr, int64_t *cap, int64_t need, size_t elem, const char *what) {
    if (need <= *cap) {
        return RG_SUCCESS;
    }
    int64_t ncap = *cap ? *cap : 1024;
    while (ncap < need) {
        ncap *= 2;
    }
    if ((uint64_t) ncap > SIZE_MAX / elem) {
        RG_ERROR(RG_ENOMEM, "too many %s (%lld)", what, (long long) need);
    }
    void *p = rg_realloc(*arr, (size_t) ncap * elem);
    if (!p) {
        RG_ERROR(RG_ENOMEM, "cannot grow the %s array to %lld entries", what, (long long) ncap);
    }
    *arr = p;
    *cap = ncap;
    return RG_SUCCESS;
}

rg_error_t rg_dataset_add_rating(rg_dataset_t *d, const rg_rating_t *r) {
    if (d->n_ratings == d->cap_ratings) {
        RG_CHECK(rg_i_grow((void **) &d->ratings, &d->cap_ratings, d->n_ratings + 1,
                           sizeof *d->ratings, "ratings"));
    }
    d->ratings[d->n_ratings++] = *r;
    return RG_SUCCESS;
}

rg_error_t rg_dataset_add_movie(rg_dataset_t *d, int64_t id, const char *title, int32_t year,
                                uint32_t genres) {
    RG_CHECK(rg_i_grow((void **) &d->movies, &d->cap_movies, d->n_movies + 1, sizeof *d->movies,
                       "movies"));
    char *copy = NULL;
    if (title) {
        size_t n = strlen(title);
        copy = rg_malloc(n + 1);
        if (!copy) {
            RG_ERROR(RG_ENOMEM, "cannot copy the title of movie %lld", (long long) id);
        }
        memcpy(copy, title, n + 1);
    }
    rg_movie_meta_t *m = &d->movies[d->n_movies++];
    m->id = id;
    m->title = copy;
    m->year = year;
    m->genres = genres;
    return RG_SUCCESS;
}

rg_error_t rg_dataset_add_user(rg_dataset_t *d, const rg_user_meta_t *u) {
    RG_CHECK(rg_i_grow((void **) &d->users, &d->cap_users, d->n_users + 1, sizeof *d->users,
                       "users"));
    d->users[d->n_users++] = *u;
    return RG_SUCCESS;
}
