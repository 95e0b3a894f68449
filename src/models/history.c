/* history.c: the per-epoch training curves of a model, as CSV and as a plot.
 *
 * The plot is drawn with cairo (its SVG or PNG surface, chosen by the file's extension): training
 * loss on the left axis, validation loss on the right one (each with its own scale, because a
 * model's objective and its validation RMSE need not share units), epochs on the x axis, ticks
 * at 1-2-5 steps, a title and a legend.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cairo-svg.h>
#include <cairo.h>

#include "reelgraph/model.h"

rg_error_t rg_history_write_csv(const rg_model_t *m, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        RG_ERROR(RG_EIO, "cannot open %s for writing: %s", path, strerror(errno));
    }
    fprintf(f, "epoch,train_loss,val_loss,seconds\n");
    for (int32_t e = 0; e < m->n_history; e++) {
        const rg_epoch_record_t *r = &m->history[e];
        fprintf(f, "%d,%.9g,", (int) e + 1, r->train_loss);
        if (isnan(r->val_loss)) {
            fprintf(f, ",");
        } else {
            fprintf(f, "%.9g,", r->val_loss);
        }
        fprintf(f, "%.6f\n", r->seconds);
    }
    if (ferror(f) | (fclose(f) != 0)) {
        RG_ERROR(RG_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    return RG_SUCCESS;
}

/* ---- plotting ---- */

#define RG_PLOT_W 800.0
#define RG_PLOT_H 500.0
#define RG_PLOT_LEFT 80.0
#define RG_PLOT_RIGHT 80.0
#define RG_PLOT_TOP 50.0
#define RG_PLOT_BOTTOM 60.0
#define RG_PLOT_TARGET_TICKS 6

typedef struct {
    double lo, hi, step; /* axis range, extended to whole tick steps */
} rg_axis_t;

/* A 1-2-5 step giving about RG_PLOT_TARGET_TICKS ticks over [lo, hi]. */
static void rg_i_axis(rg_axis_t *a, double lo, double hi) {
    if (!(hi > lo)) {
        double pad = fabs(lo) > 0 ? 0.05 * fabs(lo) : 1.0;
        lo -= pad;
        hi += pad;
    }
    double raw = (hi - lo) / RG_PLOT_TARGET_TICKS;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double step = (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * mag;
    a->step = step;
    a->lo = floor(lo / step) * step;
    a->hi = ceil(hi / step) * step;
    if (a->hi <= a->lo) {
        a->hi = a->lo + step;
    }
}

static void rg_i_range(const rg_model_t *m, int val, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int32_t e = 0; e < m->n_history; e++) {
        double v = val ? m->history[e].val_loss : m->history[e].train_loss;
        if (isfinite(v)) {
            *lo = fmin(*lo, v);
            *hi = fmax(*hi, v);
        }
    }
}

static double rg_i_px(const rg_axis_t *a, double v, double p0, double p1) {
    return p0 + (v - a->lo) / (a->hi - a->lo) * (p1 - p0);
}

static void rg_i_text(cairo_t *cr, double x, double y, const char *s, double halign,
                      double valign) {
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s, &ext);
    cairo_move_to(cr, x - halign * ext.width - ext.x_bearing,
                  y - valign * ext.height - ext.y_bearing);
    cairo_show_text(cr, s);
}

/* Tick labels with as many decimals as the step needs. */
static void rg_i_tick_label(char *buf, size_t size, double v, double step) {
    int dec = step >= 1.0 ? 0 : (int) ceil(-log10(step) - 1e-9);
    if (fabs(v) < 0.5 * step) {
        v = 0.0;
    }
    snprintf(buf, size, "%.*f", dec, v);
}

static void rg_i_curve(cairo_t *cr, const rg_model_t *m, int val, const rg_axis_t *ax,
                       const rg_axis_t *ay, double x0, double x1, double y0, double y1) {
    int started = 0;
    for (int32_t e = 0; e < m->n_history; e++) {
        double v = val ? m->history[e].val_loss : m->history[e].train_loss;
        if (!isfinite(v)) {
            started = 0;
            continue;
        }
        double px = rg_i_px(ax, e + 1, x0, x1), py = rg_i_px(ay, v, y0, y1);
        if (started) {
            cairo_line_to(cr, px, py);
        } else {
            cairo_move_to(cr, px, py);
            started = 1;
        }
    }
    cairo_stroke(cr);
    for (int32_t e = 0; e < m->n_history; e++) { /* markers, so a single epoch is visible */
        double v = val ? m->history[e].val_loss : m->history[e].train_loss;
        if (isfinite(v)) {
            cairo_arc(cr, rg_i_px(ax, e + 1, x0, x1), rg_i_px(ay, v, y0, y1), 2.5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
}

static const double rg_col_train[3] = {0.12, 0.38, 0.71};
static const double rg_col_val[3] = {0.85, 0.37, 0.01};
static const double rg_col_grid[3] = {0.9, 0.9, 0.9};
static const double rg_col_ink[3] = {0, 0, 0};

/* One straight line from (xa, ya) to (xb, yb) in colour rgb at the current width. */
static void rg_i_segment(cairo_t *cr, const double rgb[3], double xa, double ya, double xb,
                         double yb) {
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_move_to(cr, xa, ya);
    cairo_line_to(cr, xb, yb);
    cairo_stroke(cr);
}

static void rg_i_draw(cairo_t *cr, const rg_model_t *m) {
    char buf[64];
    double x0 = RG_PLOT_LEFT, x1 = RG_PLOT_W - RG_PLOT_RIGHT;
    double y0 = RG_PLOT_H - RG_PLOT_BOTTOM, y1 = RG_PLOT_TOP; /* y grows downwards */
    double tlo, thi, vlo, vhi;
    rg_axis_t ax, at, av;
    rg_i_range(m, 0, &tlo, &thi);
    rg_i_range(m, 1, &vlo, &vhi);
    int has_train = isfinite(tlo), has_val = isfinite(vlo);
    rg_i_axis(&ax, 1.0, m->n_history > 1 ? (double) m->n_history : 2.0);
    rg_i_axis(&at, has_train ? tlo : 0.0, has_train ? thi : 1.0);
    rg_i_axis(&av, has_val ? vlo : 0.0, has_val ? vhi : 1.0);

    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

    /* grid and ticks */
    cairo_set_line_width(cr, 1.0);
    cairo_set_font_size(cr, 12);
    for (double v = ax.lo; v <= ax.hi + 1e-9 * ax.step; v += ax.step) {
        double px = rg_i_px(&ax, v, x0, x1);
        rg_i_segment(cr, rg_col_grid, px, y0, px, y1);
        rg_i_segment(cr, rg_col_ink, px, y0, px, y0 + 5);
        rg_i_tick_label(buf, sizeof buf, v, ax.step);
        rg_i_text(cr, px, y0 + 8, buf, 0.5, 0.0);
    }
    for (double v = at.lo; v <= at.hi + 1e-9 * at.step; v += at.step) {
        double py = rg_i_px(&at, v, y0, y1);
        rg_i_segment(cr, rg_col_grid, x0, py, x1, py);
        rg_i_segment(cr, rg_col_train, x0 - 5, py, x0, py);
        rg_i_tick_label(buf, sizeof buf, v, at.step);
        rg_i_text(cr, x0 - 8, py, buf, 1.0, 0.5);
    }
    if (has_val) {
        for (double v = av.lo; v <= av.hi + 1e-9 * av.step; v += av.step) {
            double py = rg_i_px(&av, v, y0, y1);
            rg_i_segment(cr, rg_col_val, x1, py, x1 + 5, py);
            rg_i_tick_label(buf, sizeof buf, v, av.step);
            rg_i_text(cr, x1 + 8, py, buf, 0.0, 0.5);
        }
    }
    /* frame */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
    cairo_stroke(cr);

    /* curves */
    cairo_set_line_width(cr, 2.0);
    if (has_train) {
        cairo_set_source_rgb(cr, rg_col_train[0], rg_col_train[1], rg_col_train[2]);
        rg_i_curve(cr, m, 0, &ax, &at, x0, x1, y0, y1);
    }
    if (has_val) {
        cairo_set_source_rgb(cr, rg_col_val[0], rg_col_val[1], rg_col_val[2]);
        rg_i_curve(cr, m, 1, &ax, &av, x0, x1, y0, y1);
    }

    /* labels */
    cairo_set_font_size(cr, 14);
    cairo_set_source_rgb(cr, 0, 0, 0);
    rg_i_text(cr, 0.5 * (x0 + x1), RG_PLOT_H - 18, "epoch", 0.5, 0.5);
    snprintf(buf, sizeof buf, "%s: training curves", m->ops ? m->ops->name : "model");
    cairo_set_font_size(cr, 16);
    rg_i_text(cr, 0.5 * (x0 + x1), 0.5 * RG_PLOT_TOP, buf, 0.5, 0.5);
    cairo_set_font_size(cr, 14);
    cairo_save(cr);
    cairo_set_source_rgb(cr, rg_col_train[0], rg_col_train[1], rg_col_train[2]);
    cairo_translate(cr, 20, 0.5 * (y0 + y1));
    cairo_rotate(cr, -M_PI / 2);
    rg_i_text(cr, 0, 0, "training loss", 0.5, 0.5);
    cairo_restore(cr);
    if (has_val) {
        cairo_save(cr);
        cairo_set_source_rgb(cr, rg_col_val[0], rg_col_val[1], rg_col_val[2]);
        cairo_translate(cr, RG_PLOT_W - 18, 0.5 * (y0 + y1));
        cairo_rotate(cr, M_PI / 2);
        rg_i_text(cr, 0, 0, "validation loss (RMSE unless the model defines its own)", 0.5, 0.5);
        cairo_restore(cr);
    }

    /* legend, top right inside the frame */
    double lx = x1 - 190, ly = y1 + 12;
    cairo_set_font_size(cr, 13);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, lx - 8, ly - 6, 186, has_val ? 46 : 26);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 2.0);
    rg_i_segment(cr, rg_col_train, lx, ly + 7, lx + 28, ly + 7);
    cairo_set_source_rgb(cr, 0, 0, 0);
    rg_i_text(cr, lx + 36, ly + 7, "train loss (left axis)", 0.0, 0.5);
    if (has_val) {
        rg_i_segment(cr, rg_col_val, lx, ly + 27, lx + 28, ly + 27);
        cairo_set_source_rgb(cr, 0, 0, 0);
        rg_i_text(cr, lx + 36, ly + 27, "validation (right axis)", 0.0, 0.5);
    }
}

rg_error_t rg_history_plot(const rg_model_t *m, const char *path) {
    const char *dot = strrchr(path, '.');
    int svg = dot && !strcasecmp(dot, ".svg");
    int png = dot && !strcasecmp(dot, ".png");
    cairo_surface_t *s;
    if (!svg && !png) {
        RG_ERROR(RG_EINVAL, "plot file %s: the extension must be .svg or .png", path);
    }
    if (m->n_history < 1) {
        RG_ERROR(RG_EINVAL, "plot file %s: the model has no training history", path);
    }
    if (svg) {
        s = cairo_svg_surface_create(path, RG_PLOT_W, RG_PLOT_H);
    } else {
        s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int) RG_PLOT_W, (int) RG_PLOT_H);
    }
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_status_t st = cairo_surface_status(s);
        cairo_surface_destroy(s);
        RG_ERROR(RG_EIO, "cannot create plot %s: %s", path, cairo_status_to_string(st));
    }
    cairo_t *cr = cairo_create(s);
    rg_i_draw(cr, m);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && png) {
        st = cairo_surface_write_to_png(s, path);
    }
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS) {
        st = cairo_surface_status(s);
    }
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        RG_ERROR(RG_EIO, "cannot write plot %s: %s", path, cairo_status_to_string(st));
    }
    return RG_SUCCESS;
}
