/* vs-chart.h: a line chart of training curves, drawn with GtkSnapshot.
 *
 * A VsChart shows one or more series of (step, value) points over a shared
 * step axis: the Train page stacks several (loss, learning rate, gradient
 * norm, evaluation metrics) and gives them all the same step range with
 * vs_chart_set_step_range(), so their x axes line up. Points are appended
 * as the trainer reports them; the chart never recomputes a run.
 *
 *   GtkWidget *chart = vs_chart_new ();
 *   vs_chart_set_title (VS_CHART (chart), _("Loss"));
 *   vs_chart_add_series (VS_CHART (chart), "loss", _("Training loss"), TRUE);
 *   vs_chart_add_series (VS_CHART (chart), "eval_loss", _("Evaluation loss"), FALSE);
 *   vs_chart_set_step_range (VS_CHART (chart), 0, total_steps);
 *   …
 *   vs_chart_append (VS_CHART (chart), "loss", step, loss);   // per step event
 *
 * A smoothable series is drawn twice: the raw points faintly, and their
 * exponential moving average (vs_chart_ema, weight = the "smoothing"
 * property, 0 = off) on top. NaN and infinite values are not points: they
 * are dropped by vs_chart_append (and not counted). Axes get "nice" ticks
 * (1, 2, 2.5 or 5 × 10^k) from vs_chart_nice_ticks. Hovering shows the
 * value of every visible series at the nearest logged step; the same
 * read-out is available as text (vs_chart_dup_readout) and the chart's
 * accessible description summarises each series (points, last value), so
 * screen readers read what the lines show.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VS_TYPE_CHART (vs_chart_get_type ())
G_DECLARE_FINAL_TYPE (VsChart, vs_chart, VS, CHART, GtkWidget)

GtkWidget  *vs_chart_new                (void);

/* The heading drawn above the plot (and the accessible label). */
void        vs_chart_set_title          (VsChart    *self,
                                         const char *title);
const char *vs_chart_get_title          (VsChart    *self);

/* Adds a series; a second call with the same id only updates the label.
 * Series are drawn in the order added, each with its own colour. */
void        vs_chart_add_series         (VsChart    *self,
                                         const char *id,
                                         const char *label,
                                         gboolean    smoothable);
gboolean    vs_chart_has_series         (VsChart    *self,
                                         const char *id);
/* The ids in the order added; free with g_strfreev. */
char      **vs_chart_dup_series_ids     (VsChart    *self);

/* Appends a point (steps should not decrease; a step equal to the last
 * point's replaces it). Returns FALSE, adding nothing, for an unknown
 * series or a NaN / infinite step or value. */
gboolean    vs_chart_append             (VsChart    *self,
                                         const char *id,
                                         double      step,
                                         double      value);
guint       vs_chart_get_n_points       (VsChart    *self,
                                         const char *id);
/* The i-th point of a series; FALSE when out of range. */
gboolean    vs_chart_get_point          (VsChart    *self,
                                         const char *id,
                                         guint       i,
                                         double     *step,
                                         double     *value);
/* Removes every point of every series (the series stay). */
void        vs_chart_clear              (VsChart    *self);

void        vs_chart_set_series_visible (VsChart    *self,
                                         const char *id,
                                         gboolean    visible);
gboolean    vs_chart_get_series_visible (VsChart    *self,
                                         const char *id);

/* EMA weight in [0, 1): 0 draws the raw points only (property "smoothing"). */
void        vs_chart_set_smoothing      (VsChart    *self,
                                         double      smoothing);
double      vs_chart_get_smoothing      (VsChart    *self);

/* The step axis: [lo, hi], or NaN for either end to fit the data. */
void        vs_chart_set_step_range     (VsChart    *self,
                                         double      lo,
                                         double      hi);

/* The point of series id whose step is nearest to step (ties: the earlier
 * one); FALSE when the series has no point. */
gboolean    vs_chart_lookup             (VsChart    *self,
                                         const char *id,
                                         double      step,
                                         double     *found_step,
                                         double     *value);

/* Hover: the step under widget x coordinate x (given the current
 * allocation), or NaN outside the plot area. */
double      vs_chart_step_at_x          (VsChart    *self,
                                         double      x);
/* What the hover read-out shows at step: "Step 40 · Training loss 3.11
 * (smoothed 3.20) · Evaluation loss 3.05", one entry per visible series
 * that has points. Free with g_free. */
char       *vs_chart_dup_readout        (VsChart    *self,
                                         double      step);
/* The accessible description: per series its label, number of points and
 * last value. Free with g_free. */
char       *vs_chart_dup_summary        (VsChart    *self);

/* Test-facing: shows the hover rule and read-out at the logged step nearest
 * to step, as a pointer there would (NaN hides it). */
void        vs_chart_set_hover_step     (VsChart    *self,
                                         double      step);

/* ---------------------------------------------------------------------- */
/* Pure helpers (tested without a widget)                                   */

/* Nice ticks covering [lo, hi]: at most max_ticks (≥ 2) values, evenly
 * spaced by 1, 2, 2.5 or 5 × 10^k, written to ticks (room for max_ticks);
 * *axis_lo / *axis_hi get the first and last tick (≤ lo, ≥ hi). lo == hi
 * widens to a range around the value; lo > hi swaps. Returns the count. */
guint       vs_chart_nice_ticks         (double      lo,
                                         double      hi,
                                         guint       max_ticks,
                                         double     *ticks,
                                         double     *axis_lo,
                                         double     *axis_hi);

/* TensorBoard's debiased exponential moving average:
 *   last = smoothing * last + (1 - smoothing) * v_i   (last starts at 0)
 *   out_i = last / (1 - smoothing^(number of values so far))
 * NaN / infinite inputs give NaN and leave the average as it was. */
void        vs_chart_ema                (const double *values,
                                         gsize         n,
                                         double        smoothing,
                                         double       *out);

/* A tick label: the shortest of %g-like forms that tells neighbouring
 * ticks apart given the tick spacing ("0.25", "1.5k", "2e-05"). */
char       *vs_chart_format_tick        (double      value,
                                         double      spacing);

G_END_DECLS
