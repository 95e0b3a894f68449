/* fuzz_ratings_arg.c: libFuzzer harness for the parser of `reelgraph recommend --ratings
 * "MOVIE:RATING,..."`, rg_ratings_parse_list (src/io/ratings_arg.c).  The input, cut at its
 * first NUL as argv would be, is parsed against the small fuzz graph; every pair it accepts must
 * name a movie of the graph, once, with a rating on the scale, and a refusal must carry a
 * message. */
#include "fuzz_common.h"
#include "fuzz_fixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static rg_graph_t g;
    static int ready;
    if (!ready) {
        if (rgf_small_graph(&g) != RG_SUCCESS) {
            fprintf(stderr, "fuzz: cannot build the graph: %s\n", rg_last_error_message());
            abort();
        }
        ready = 1;
    }
    char *s = malloc(size + 1);
    if (!s) {
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    const int64_t cap = g.n_movies;
    int32_t movies[64];
    float ratings[64];
    int64_t n = -1;
    RGF_REQUIRE(cap <= 64);
    rg_error_clear();
    rg_error_t rc = rg_ratings_parse_list(&g, s, movies, ratings, cap, &n);
    rgf_check_error(rc);
    if (rc == RG_SUCCESS) {
        RGF_REQUIRE(n >= 0 && n <= cap);
        for (int64_t i = 0; i < n; i++) {
            RGF_REQUIRE(movies[i] >= 0 && movies[i] < g.n_movies);
            RGF_REQUIRE(ratings[i] >= g.rating_min && ratings[i] <= g.rating_max);
            for (int64_t j = 0; j < i; j++) {
                RGF_REQUIRE(movies[j] != movies[i]);
            }
        }
    }
    free(s);
    return 0;
}
