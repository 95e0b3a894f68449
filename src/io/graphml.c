/* graphml.c: streaming GraphML writer (analytics.h).
 *
 * One pass over the nodes and one over the edges through a large stdio buffer; no DOM, no
 * igraph attribute tables, so the whole ML-1M graph (1M edges) is written in about a second.
 * Keys follow the Gephi / Cytoscape conventions: declared up front as d0.. with attr.name and
 * attr.type; a missing value (unknown year, movie without demographics) is simply omitted.
 * Text is XML-escaped; control characters that XML 1.0 forbids are dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_store.h"
#include "reelgraph/analytics.h"

static const char *const graphml_keys[][4] = {
    /* id, for, attr.name, attr.type */
    {"d0", "node", "side", "string"},      {"d1", "node", "dataset_id", "long"},
    {"d2", "node", "title", "string"},     {"d3", "node", "year", "int"},
    {"d4", "node", "genres", "string"},    {"d5", "node", "age", "int"},
    {"d6", "node", "gender", "string"},    {"d7", "node", "occupation", "string"},
    {"d8", "node", "zip", "string"},       {"d9", "edge", "rating", "double"},
    {"d10", "edge", "timestamp", "long"},
};

static void xml_text(FILE *f, const char *s) {
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if (*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r') {
                fputc(*p, f);
            }
        }
    }
}

static void data_str(FILE *f, const char *key, const char *s) {
    fprintf(f, "<data key=\"%s\">", key);
    xml_text(f, s);
    fputs("</data>", f);
}

static void write_node(FILE *f, const rg_graph_t *g, int32_t x) {
    if (x < g->n_users) {
        int32_t u = x;
        fprintf(f, "    <node id=\"u%" PRId64 "\"><data key=\"d0\">user</data>"
                   "<data key=\"d1\">%" PRId64 "</data>", g->user_ext[u], g->user_ext[u]);
        if (g->has_demographics) {
            if (g->user_age[u] >= 0) {
                fprintf(f, "<data key=\"d5\">%d</data>", (int) g->user_age[u]);
            }
            if (g->user_gender[u] == RG_GENDER_M || g->user_gender[u] == RG_GENDER_F) {
                fprintf(f, "<data key=\"d6\">%s</data>",
                        g->user_gender[u] == RG_GENDER_M ? "M" : "F");
            }
            int32_t occ = g->user_occupation[u];
            if (occ >= 0 && occ < g->n_occupations) {
                data_str(f, "d7", g->occupation_names[occ]);
            }
            const char *zip = rg_graph_user_zip(g, u);
            if (zip[0]) {
                data_str(f, "d8", zip);
            }
        }
        fputs("</node>\n", f);
        return;
    }
    int32_t m = (int32_t) (x - g->n_users);
    fprintf(f, "    <node id=\"m%" PRId64 "\"><data key=\"d0\">movie</data>"
               "<data key=\"d1\">%" PRId64 "</data>", g->movie_ext[m], g->movie_ext[m]);
    const char *title = rg_graph_movie_title(g, m);
    if (title[0]) {
        data_str(f, "d2", title);
    }
    if (g->movie_year[m] > 0) {
        fprintf(f, "<data key=\"d3\">%d</data>", (int) g->movie_year[m]);
    }
    uint32_t bits = g->movie_genres[m];
    if (bits) {
        fputs("<data key=\"d4\">", f);
        int first = 1;
        for (int k = 0; k < g->n_genres && k < RG_MAX_GENRES; k++) {
            if (bits & (1u << k)) {
                if (!first) {
                    fputc('|', f);
                }
                xml_text(f, g->genre_names[k]);
                first = 0;
            }
        }
        fputs("</data>", f);
    }
    fputs("</node>\n", f);
}

static void write_edge(FILE *f, const rg_graph_t *g, int32_t u, int64_t e) {
    fprintf(f, "    <edge source=\"u%" PRId64 "\" target=\"m%" PRId64 "\">"
               "<data key=\"d9\">%g</data>", g->user_ext[u], g->movie_ext[g->user_adj[e]],
            (double) g->rating[e]);
    if (g->ts[e] != 0) {
        fprintf(f, "<data key=\"d10\">%" PRId64 "</data>", g->ts[e]);
    }
    fputs("</edge>\n", f);
}

rg_error_t rg_graphml_write(const rg_graph_t *g, const char *path, const int32_t *nodes,
                            int64_t n_nodes, const int64_t *eids, int64_t n_edges) {
    rg_error_t rc = RG_SUCCESS;
    uint8_t *in = NULL;
    char *buf = NULL, *tmp = NULL;
    FILE *f = NULL;
    if (!g || !path || !path[0]) {
        RG_ERROR(RG_EINVAL, "rg_graphml_write: NULL graph or empty path");
    }
    int64_t n_total = g->n_users + g->n_movies;
    if (nodes) {
        in = rg_calloc((size_t) (n_total > 0 ? n_total : 1), 1);
        if (!in) {
            RG_FAIL(RG_ENOMEM, "graphml %s: cannot allocate %lld node marks", path,
                    (long long) n_total);
        }
        for (int64_t i = 0; i < n_nodes; i++) {
            if (nodes[i] < 0 || nodes[i] >= n_total || in[nodes[i]]) {
                RG_FAIL(RG_EINVAL, "graphml %s: node %d (position %lld) out of range [0, %lld) "
                        "or repeated", path, (int) nodes[i], (long long) i, (long long) n_total);
            }
            in[nodes[i]] = 1;
        }
    }
    if (eids) {
        for (int64_t i = 0; i < n_edges; i++) {
            int64_t e = eids[i];
            if (e < 0 || e >= g->n_ratings) {
                RG_FAIL(RG_EINVAL, "graphml %s: edge id %lld (position %lld) out of range "
                        "[0, %lld)", path, (long long) e, (long long) i, (long long) g->n_ratings);
            }
            if (in && (!in[rg_i_graph_edge_user(g, e)] || !in[g->n_users + g->user_adj[e]])) {
                RG_FAIL(RG_EINVAL, "graphml %s: edge id %lld has an end outside the node set",
                        path, (long long) e);
            }
        }
    } else if (in) {
        RG_FAIL(RG_EINVAL, "graphml %s: a node subset needs its edge list", path);
    }
    size_t n_tmp = strlen(path) + 5;
    tmp = rg_malloc(n_tmp);
    buf = rg_malloc(1 << 20);
    if (!tmp || !buf) {
        RG_FAIL(RG_ENOMEM, "graphml %s: cannot allocate the write buffer", path);
    }
    snprintf(tmp, n_tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f) {
        RG_FAIL(RG_EIO, "graphml %s: cannot create %s: %s", path, tmp, strerror(errno));
    }
    setvbuf(f, buf, _IOFBF, 1 << 20);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\"\n"
          "    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
          "    xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
          "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n", f);
    for (size_t k = 0; k < sizeof graphml_keys / sizeof graphml_keys[0]; k++) {
        fprintf(f, "  <key id=\"%s\" for=\"%s\" attr.name=\"%s\" attr.type=\"%s\"/>\n",
                graphml_keys[k][0], graphml_keys[k][1], graphml_keys[k][2], graphml_keys[k][3]);
    }
    fputs("  <graph id=\"G\" edgedefault=\"undirected\">\n", f);
    if (nodes) {
        for (int64_t i = 0; i < n_nodes; i++) {
            write_node(f, g, nodes[i]);
        }
    } else {
        for (int32_t x = 0; x < n_total; x++) {
            write_node(f, g, x);
        }
    }
    if (eids) {
        for (int64_t i = 0; i < n_edges; i++) {
            write_edge(f, g, rg_i_graph_edge_user(g, eids[i]), eids[i]);
        }
    } else {
        for (int32_t u = 0; u < g->n_users; u++) {
            for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
                write_edge(f, g, u, e);
            }
        }
    }
    fputs("  </graph>\n</graphml>\n", f);
    if (ferror(f)) {
        RG_FAIL(RG_EIO, "graphml %s: write error on %s", path, tmp);
    }
    int closed = fclose(f);
    f = NULL;
    if (closed != 0) {
        RG_FAIL(RG_EIO, "graphml %s: cannot close %s: %s", path, tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        RG_FAIL(RG_EIO, "graphml %s: cannot rename %s into place: %s", path, tmp,
                strerror(errno));
    }
cleanup:
    if (f) {
        fclose(f);
    }
    if (rc != RG_SUCCESS && tmp) {
        remove(tmp);
    }
    free(in);
    free(tmp);
    free(buf);
    return rc;
}
