/* test-chart.c: VsChart's pure helpers (no display) and the widget under Xvfb.
 *
 * The tick, EMA and format helpers run without a display; the widget tests
 * (points, lookup, hover, screenshots of an empty, a one-point and a busy
 * chart in light and dark) are added only when GTK can open one.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <adwaita.h>

#include "vs-chart.h"

#include "vs-gui-test.h"

/* ---------------------------------------------------------------------- */
/* Nice ticks                                                               */

/* Is d = m × 10^k for m in {1, 2, 2.5, 5}? */
static gboolean
is_nice_step (double d)
{
  double k = floor (log10 (d));

  for (int shift = -1; shift <= 1; shift++)
    {
      double m = d / pow (10, k + shift);

      if (fabs (m - 1) < 1e-6 || fabs (m - 2) < 1e-6 || fabs (m - 2.5) < 1e-6 || fabs (m - 5) < 1e-6)
        return TRUE;
    }
  return FALSE;
}

static void
check_ticks (double lo,
             double hi,
             guint  max_ticks)
{
  double ticks[16], axis_lo = NAN, axis_hi = NAN;
  double want_lo = MIN (lo, hi), want_hi = MAX (lo, hi);
  guint n = vs_chart_nice_ticks (lo, hi, max_ticks, ticks, &axis_lo, &axis_hi);
  double step;

  g_test_message ("[%g, %g] max %u: %u ticks %g … %g", lo, hi, max_ticks, n, axis_lo, axis_hi);
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpuint (n, <=, max_ticks);
  g_assert_cmpfloat (axis_lo, ==, ticks[0]);
  g_assert_cmpfloat (axis_hi, ==, ticks[n - 1]);
  g_assert_cmpfloat (axis_lo, <=, want_lo);
  g_assert_cmpfloat (axis_hi, >=, want_hi);
  step = ticks[1] - ticks[0];
  g_assert_cmpfloat (step, >, 0);
  g_assert_true (is_nice_step (step));
  for (guint i = 1; i < n; i++)
    g_assert_cmpfloat_with_epsilon (ticks[i] - ticks[i - 1], step, step * 1e-6);
  /* Ticks sit on multiples of the step (0 is one when the range crosses
   * it); two ticks straddling 0 can only sit on half-steps. */
  for (guint i = 0; i < n && max_ticks > 2; i++)
    {
      double q = ticks[i] / step;

      g_assert_cmpfloat_with_epsilon (q, round (q), 1e-6 * MAX (1, fabs (q)));
    }
}

static void
test_nice_ticks_ranges (void)
{
  double ticks[8], axis_lo, axis_hi;
  guint n;

  check_ticks (0, 1, 6);
  check_ticks (0.3, 3.2, 6);
  check_ticks (1e-9, 3e-9, 6);
  check_ticks (2.000001, 2.000002, 6);
  check_ticks (0, 1e12, 6);
  check_ticks (3e11, 7.7e12, 8);
  check_ticks (-7.5, -0.2, 6);
  check_ticks (-1e6, -2e5, 5);
  check_ticks (-0.37, 4.2, 6);
  check_ticks (-3, 3, 2);
  check_ticks (0, 2000, 8);
  check_ticks (17, 1983, 8);
  for (guint max = 2; max <= 10; max++)
    for (double lo = -5; lo < 5; lo += 1.7)
      check_ticks (lo, lo * lo + 0.01, max);

  /* lo > hi swaps. */
  check_ticks (5, 1, 6);
  n = vs_chart_nice_ticks (5, 1, 6, ticks, &axis_lo, &axis_hi);
  g_assert_cmpfloat (axis_lo, <=, 1);
  g_assert_cmpfloat (axis_hi, >=, 5);

  /* lo == hi widens around the value (also 0 and a huge one). */
  check_ticks (3, 3, 6);
  n = vs_chart_nice_ticks (3, 3, 6, ticks, &axis_lo, &axis_hi);
  g_assert_cmpfloat (axis_lo, <, 3);
  g_assert_cmpfloat (axis_hi, >, 3);
  check_ticks (0, 0, 6);
  check_ticks (-2e12, -2e12, 6);
  check_ticks (4e-10, 4e-10, 6);

  /* The 0–1 range with 6 ticks is the textbook 0, 0.2, …, 1. */
  n = vs_chart_nice_ticks (0, 1, 6, ticks, &axis_lo, &axis_hi);
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpfloat_with_epsilon (ticks[1], 0.2, 1e-12);
  g_assert_cmpfloat (axis_lo, ==, 0);
  g_assert_cmpfloat_with_epsilon (axis_hi, 1, 1e-12);

  /* 0–2000 with 8 ticks: a step of 500 (250 would need 9). */
  n = vs_chart_nice_ticks (0, 2000, 8, ticks, NULL, NULL);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpfloat (ticks[1], ==, 500);
}

/* ---------------------------------------------------------------------- */
/* EMA                                                                      */

/* TensorBoard's smoothing, written out independently of vs_chart_ema. */
static void
reference_ema (const double *values,
               gsize         n,
               double        w,
               double       *out)
{
  double last = 0;
  int num_accum = 0;

  for (gsize i = 0; i < n; i++)
    {
      double next = values[i];

      if (!isfinite (next))
        {
          out[i] = NAN;
          continue;
        }
      last = last * w + (1 - w) * next;
      num_accum++;
      out[i] = last / (1 - pow (w, num_accum));
    }
}

static void
test_ema (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  double values[500], got[500], want[500];
  static const double weights[] = { 0.0, 0.3, 0.6, 0.9, 0.99, 0.999, 0.9999 };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    values[i] = 3 * exp (-(double) i / 100) + g_rand_double_range (rand, -0.5, 0.5);
  values[10] = NAN;
  values[11] = INFINITY;
  values[200] = NAN;

  for (guint w = 0; w < G_N_ELEMENTS (weights); w++)
    {
      vs_chart_ema (values, G_N_ELEMENTS (values), weights[w], got);
      reference_ema (values, G_N_ELEMENTS (values), weights[w], want);
      for (guint i = 0; i < G_N_ELEMENTS (values); i++)
        {
          if (isnan (want[i]))
            {
              g_assert_true (isnan (got[i]));
              continue;
            }
          g_assert_cmpfloat (fabs (got[i] - want[i]), <=, 1e-12);
        }
    }

  /* Smoothing 0 is the identity (NaN stays NaN). */
  vs_chart_ema (values, G_N_ELEMENTS (values), 0, got);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    if (isfinite (values[i]))
      g_assert_cmpfloat (got[i], ==, values[i]);
    else
      g_assert_true (isnan (got[i]));

  /* The debiased EMA starts at the first value, not at 0. */
  vs_chart_ema (values, 1, 0.9, got);
  g_assert_cmpfloat_with_epsilon (got[0], values[0], 1e-12);

  /* A leading NaN does not count as a value: the next one is itself. */
  {
    double v[3] = { NAN, 2.0, 4.0 }, o[3];

    vs_chart_ema (v, 3, 0.5, o);
    g_assert_true (isnan (o[0]));
    g_assert_cmpfloat_with_epsilon (o[1], 2.0, 1e-12);
    /* last = 0.5·1 + 0.5·4 = 2.5; debias 1 − 0.25 → 3.333… */
    g_assert_cmpfloat_with_epsilon (o[2], 2.5 / 0.75, 1e-12);
  }
  /* Out-of-range weights stay finite: below 0 is 0, 1 or more is 0.999. */
  vs_chart_ema (values, 50, -1, got);
  for (guint i = 0; i < 50; i++)
    if (isfinite (values[i]))
      g_assert_cmpfloat (got[i], ==, values[i]);
  vs_chart_ema (values, 50, 1.0, got);
  reference_ema (values, 50, 0.999, want);
  for (guint i = 0; i < 50; i++)
    if (isfinite (values[i]))
      g_assert_cmpfloat (fabs (got[i] - want[i]), <=, 1e-12);
  vs_chart_ema (NULL, 0, 0.5, NULL);
}

/* ---------------------------------------------------------------------- */
/* Tick labels                                                              */

static void
check_format (double      value,
              double      spacing,
              const char *want)
{
  g_autofree char *got = vs_chart_format_tick (value, spacing);

  g_test_message ("format_tick (%g, %g) = %s", value, spacing, got);
  g_assert_cmpstr (got, ==, want);
}

static void
test_format_tick (void)
{
  check_format (0.25, 0.25, "0.25");
  check_format (0.5, 0.25, "0.5");
  check_format (1500, 500, "1.5k");
  check_format (2000, 500, "2k");
  check_format (2e-05, 1e-05, "2e-05");
  check_format (0, 0.2, "0");
  check_format (0.2 * 3 - 0.6, 0.2, "0");       /* rounding noise is 0, not -0 or 1e-17 */
  check_format (0.6000000000000001, 0.2, "0.6");
  check_format (-1.5, 0.5, "-1.5");
  check_format (3, 1, "3");
  check_format (250, 50, "250");
  check_format (2.5e6, 5e5, "2.5M");
  check_format (3e12, 1e12, "3T");
  check_format (1.25, 0.25, "1.25");
  check_format (1e-9, 5e-10, "1e-09");
  check_format (1.5e-9, 5e-10, "1.5e-09");
  check_format (-750, 250, "-750");

  /* Neighbouring ticks of every nice range get different labels. */
  for (double lo = -3e6; lo < 3e6; lo = lo * -1.7 + 0.37)
    {
      double ticks[8];
      guint n = vs_chart_nice_ticks (lo, lo + fabs (lo) * 0.5 + 1e-3, 8, ticks, NULL, NULL);

      for (guint i = 1; i < n; i++)
        {
          g_autofree char *a = vs_chart_format_tick (ticks[i - 1], ticks[1] - ticks[0]);
          g_autofree char *b = vs_chart_format_tick (ticks[i], ticks[1] - ticks[0]);

          g_assert_cmpstr (a, !=, b);
        }
      if (fabs (lo) > 1e7 || lo == 0)
        break;
    }
}

/* ---------------------------------------------------------------------- */
/* The widget                                                               */

static void
test_points (void)
{
  VsChart *chart = VS_CHART (g_object_ref_sink (vs_chart_new ()));
  g_auto(GStrv) ids = NULL;
  double step, value;
  g_autofree char *readout = NULL;
  g_autofree char *summary = NULL;

  vs_chart_set_title (chart, "Loss");
  g_assert_cmpstr (vs_chart_get_title (chart), ==, "Loss");
  vs_chart_add_series (chart, "loss", "Training loss", TRUE);
  vs_chart_add_series (chart, "eval_loss", "Evaluation loss", FALSE);
  vs_chart_add_series (chart, "loss", "Train loss", TRUE);   /* only relabels */
  ids = vs_chart_dup_series_ids (chart);
  g_assert_cmpuint (g_strv_length (ids), ==, 2);
  g_assert_cmpstr (ids[0], ==, "loss");
  g_assert_cmpstr (ids[1], ==, "eval_loss");
  g_assert_true (vs_chart_has_series (chart, "eval_loss"));
  g_assert_false (vs_chart_has_series (chart, "lr"));

  /* Empty series: no lookup, sane texts. */
  g_assert_false (vs_chart_lookup (chart, "loss", 10, &step, &value));
  g_assert_false (vs_chart_get_point (chart, "loss", 0, &step, &value));
  readout = vs_chart_dup_readout (chart, 10);
  g_assert_nonnull (readout);
  g_assert_null (strstr (readout, "nan"));
  summary = vs_chart_dup_summary (chart);
  g_assert_nonnull (strstr (summary, "Train loss"));
  g_assert_nonnull (strstr (summary, "Evaluation loss"));
  g_clear_pointer (&summary, g_free);
  g_clear_pointer (&readout, g_free);

  /* NaN / inf / unknown series are not points. */
  g_assert_false (vs_chart_append (chart, "loss", 1, NAN));
  g_assert_false (vs_chart_append (chart, "loss", 1, INFINITY));
  g_assert_false (vs_chart_append (chart, "loss", NAN, 1));
  g_assert_false (vs_chart_append (chart, "loss", -INFINITY, 1));
  g_assert_false (vs_chart_append (chart, "lr", 1, 1));
  g_assert_cmpuint (vs_chart_get_n_points (chart, "loss"), ==, 0);
  g_assert_cmpuint (vs_chart_get_n_points (chart, "lr"), ==, 0);

  /* One point. */
  g_assert_true (vs_chart_append (chart, "loss", 10, 3.5));
  g_assert_true (vs_chart_lookup (chart, "loss", 1000, &step, &value));
  g_assert_cmpfloat (step, ==, 10);
  g_assert_cmpfloat (value, ==, 3.5);
  g_assert_true (vs_chart_lookup (chart, "loss", -1000, &step, &value));
  g_assert_cmpfloat (step, ==, 10);
  readout = vs_chart_dup_readout (chart, 12);
  g_assert_nonnull (strstr (readout, "10"));
  g_assert_nonnull (strstr (readout, "Train loss 3.5"));
  summary = vs_chart_dup_summary (chart);
  g_assert_nonnull (strstr (summary, "1 point"));
  g_assert_nonnull (strstr (summary, "3.5"));
  g_clear_pointer (&summary, g_free);
  g_clear_pointer (&readout, g_free);

  /* The same step replaces; an earlier one is refused (lookups bisect). */
  g_assert_true (vs_chart_append (chart, "loss", 10, 3.25));
  g_assert_cmpuint (vs_chart_get_n_points (chart, "loss"), ==, 1);
  g_assert_true (vs_chart_get_point (chart, "loss", 0, &step, &value));
  g_assert_cmpfloat (value, ==, 3.25);
  g_assert_false (vs_chart_append (chart, "loss", 5, 1));

  /* Nearest step, ties to the earlier one. */
  g_assert_true (vs_chart_append (chart, "loss", 20, 3.0));
  g_assert_true (vs_chart_append (chart, "loss", 40, 2.0));
  g_assert_true (vs_chart_lookup (chart, "loss", 15, &step, &value));
  g_assert_cmpfloat (step, ==, 10);
  g_assert_true (vs_chart_lookup (chart, "loss", 15.01, &step, &value));
  g_assert_cmpfloat (step, ==, 20);
  g_assert_true (vs_chart_lookup (chart, "loss", 30, &step, &value));
  g_assert_cmpfloat (step, ==, 20);
  g_assert_true (vs_chart_lookup (chart, "loss", 31, &step, &value));
  g_assert_cmpfloat (step, ==, 40);
  g_assert_cmpfloat (value, ==, 2.0);
  g_assert_true (vs_chart_lookup (chart, "loss", 40, &step, &value));
  g_assert_cmpfloat (step, ==, 40);

  /* Readout with smoothing names the smoothed value, which the EMA gives. */
  vs_chart_set_smoothing (chart, 0.5);
  g_assert_true (vs_chart_append (chart, "eval_loss", 40, 2.75));
  readout = vs_chart_dup_readout (chart, 39);
  {
    double raw[3] = { 3.25, 3.0, 2.0 }, ema[3];
    g_autofree char *smoothed = NULL;

    vs_chart_ema (raw, 3, 0.5, ema);
    smoothed = g_strdup_printf ("(smoothed %.3g)", ema[2]);
    g_test_message ("readout: %s", readout);
    g_assert_true (g_str_has_prefix (readout, "Step 40"));
    g_assert_nonnull (strstr (readout, "Train loss 2 "));
    g_assert_nonnull (strstr (readout, smoothed));
    g_assert_nonnull (strstr (readout, "Evaluation loss 2.75"));
  }
  g_clear_pointer (&readout, g_free);

  /* Hidden series leave the readout. */
  vs_chart_set_series_visible (chart, "eval_loss", FALSE);
  g_assert_false (vs_chart_get_series_visible (chart, "eval_loss"));
  readout = vs_chart_dup_readout (chart, 39);
  g_assert_null (strstr (readout, "Evaluation loss"));
  g_clear_pointer (&readout, g_free);
  vs_chart_set_series_visible (chart, "eval_loss", TRUE);

  summary = vs_chart_dup_summary (chart);
  g_test_message ("summary: %s", summary);
  g_assert_nonnull (strstr (summary, "3 points, last 2 at step 40"));
  g_assert_nonnull (strstr (summary, "1 point, last 2.75 at step 40"));
  g_clear_pointer (&summary, g_free);

  /* Smoothing is a property clamped to [0, 0.999]. */
  g_object_set (chart, "smoothing", 0.9, NULL);
  g_assert_cmpfloat (vs_chart_get_smoothing (chart), ==, 0.9);
  vs_chart_set_smoothing (chart, 5);
  g_assert_cmpfloat (vs_chart_get_smoothing (chart), ==, 0.999);
  vs_chart_set_smoothing (chart, -1);
  g_assert_cmpfloat (vs_chart_get_smoothing (chart), ==, 0);

  vs_chart_clear (chart);
  g_assert_cmpuint (vs_chart_get_n_points (chart, "loss"), ==, 0);
  g_assert_true (vs_chart_has_series (chart, "loss"));

  g_object_unref (chart);
}

typedef struct
{
  GtkWidget *window;
  VsChart   *chart;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      GPOINTER_TO_INT (data) ? ADW_COLOR_SCHEME_FORCE_DARK
                                                             : ADW_COLOR_SCHEME_FORCE_LIGHT);
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 720, 340);
  f->chart = VS_CHART (vs_chart_new ());
  gtk_widget_add_css_class (box, "card");
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_vexpand (GTK_WIDGET (f->chart), TRUE);
  gtk_widget_set_margin_top (GTK_WIDGET (f->chart), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (f->chart), 6);
  gtk_widget_set_margin_start (GTK_WIDGET (f->chart), 6);
  gtk_widget_set_margin_end (GTK_WIDGET (f->chart), 6);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->chart));
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 800);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_window_set_child (GTK_WINDOW (f->window), clamp);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
}

static void
show_and_shoot (Fixture    *f,
                const char *name)
{
  g_autofree char *path = vs_gui_screenshot_path (name);

  gtk_window_present (GTK_WINDOW (f->window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, f->chart, "the chart to be mapped");
  vs_gui_wait_for (vs_gui_widget_has_size, f->chart, "the chart to be allocated");
  vs_gui_save_screenshot (f->window, path);
}

static void
test_empty_chart (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *readout = NULL;

  vs_chart_set_title (f->chart, "Loss");
  vs_chart_add_series (f->chart, "loss", "Training loss", TRUE);
  show_and_shoot (f, GPOINTER_TO_INT (data) ? "chart-empty-dark" : "chart-empty");
  readout = vs_chart_dup_readout (f->chart, 0);
  g_assert_nonnull (readout);
  /* An empty chart still has a plot to hover over; its x axis is 0–1. */
  g_assert_true (isnan (vs_chart_step_at_x (f->chart, -5)));
}

static void
test_one_point_chart (Fixture       *f,
                      gconstpointer  data)
{
  vs_chart_set_title (f->chart, "Learning rate");
  vs_chart_add_series (f->chart, "lr", "Learning rate", FALSE);
  g_assert_true (vs_chart_append (f->chart, "lr", 1, 2e-5));
  vs_chart_set_hover_step (f->chart, 1);
  show_and_shoot (f, "chart-one-point");
}

static void fill_training (VsChart *chart);

/* At its minimum size (200×140) everything still fits: title, ticks, legend, read-out. */
static void
test_small_chart (Fixture       *f,
                  gconstpointer  data)
{
  int min, nat;

  /* gtk_widget_measure counts the margins the fixture gives it (6 each side). */
  gtk_widget_measure (GTK_WIDGET (f->chart), GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  g_assert_cmpint (min, ==, 200 + 12);
  g_assert_cmpint (nat, ==, 480 + 12);
  gtk_widget_measure (GTK_WIDGET (f->chart), GTK_ORIENTATION_VERTICAL, -1, &min, &nat, NULL, NULL);
  g_assert_cmpint (min, ==, 140 + 12);
  g_assert_cmpint (nat, ==, 220 + 12);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1, 1);
  gtk_widget_set_vexpand (GTK_WIDGET (f->chart), FALSE);
  fill_training (f->chart);
  vs_chart_set_hover_step (f->chart, 1500);
  show_and_shoot (f, "chart-small");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->chart)), <=, 480);
}

/* The leftmost and rightmost x inside the plot, found through step_at_x. */
static void
plot_edges (VsChart *chart,
            double  *left,
            double  *right)
{
  int width = gtk_widget_get_width (GTK_WIDGET (chart));

  *left = *right = NAN;
  for (double x = 0; x < width; x += 0.25)
    if (!isnan (vs_chart_step_at_x (chart, x)))
      {
        if (isnan (*left))
          *left = x;
        *right = x;
      }
}

static void
fill_training (VsChart *chart)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);

  vs_chart_set_title (chart, "Loss");
  vs_chart_add_series (chart, "loss", "Training loss", TRUE);
  vs_chart_add_series (chart, "eval_loss", "Evaluation loss", FALSE);
  vs_chart_set_step_range (chart, 0, 2000);
  vs_chart_set_smoothing (chart, 0.9);
  for (guint step = 1; step <= 2000; step++)
    {
      double clean = 2.6 * exp (-(double) step / 450) + 0.35;

      g_assert_true (vs_chart_append (chart, "loss", step,
                                      clean + g_rand_double_range (rand, -0.25, 0.25) * clean));
      if (step % 200 == 0)
        g_assert_true (vs_chart_append (chart, "eval_loss", step, clean * 1.08 + 0.05));
    }
}

static void
test_training_chart (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *readout = NULL;
  double left, right, step, value, found;

  fill_training (f->chart);
  g_assert_cmpuint (vs_chart_get_n_points (f->chart, "loss"), ==, 2000);
  g_assert_cmpuint (vs_chart_get_n_points (f->chart, "eval_loss"), ==, 10);
  vs_chart_set_hover_step (f->chart, 800);
  show_and_shoot (f, GPOINTER_TO_INT (data) ? "chart-training-dark" : "chart-training");

  /* step_at_x spans exactly the step range over the plot's width. */
  plot_edges (f->chart, &left, &right);
  g_assert_false (isnan (left));
  g_assert_cmpfloat (left, >, 0);
  g_assert_cmpfloat (right, <, gtk_widget_get_width (GTK_WIDGET (f->chart)));
  g_assert_cmpfloat (right - left, >, 300);
  g_assert_cmpfloat_with_epsilon (vs_chart_step_at_x (f->chart, left), 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (vs_chart_step_at_x (f->chart, right), 2000, 1e-9);
  g_assert_cmpfloat_with_epsilon (vs_chart_step_at_x (f->chart, (left + right) / 2), 1000, 1e-6);
  g_assert_true (isnan (vs_chart_step_at_x (f->chart, left - 1)));
  g_assert_true (isnan (vs_chart_step_at_x (f->chart, right + 1)));

  /* The hover read-out at step 800: the logged point, and the eval one. */
  readout = vs_chart_dup_readout (f->chart, 800.3);
  g_test_message ("readout: %s", readout);
  g_assert_true (g_str_has_prefix (readout, "Step 800 "));
  g_assert_true (vs_chart_lookup (f->chart, "loss", 800.3, &found, &value));
  g_assert_cmpfloat (found, ==, 800);
  {
    g_autofree char *raw = g_strdup_printf ("Training loss %.3g (smoothed", value);

    g_assert_nonnull (strstr (readout, raw));
  }
  g_assert_true (vs_chart_lookup (f->chart, "eval_loss", 800, &step, &value));
  {
    g_autofree char *eval = g_strdup_printf ("Evaluation loss %.3g", value);

    g_assert_nonnull (strstr (readout, eval));
  }
}

typedef struct
{
  VsChart *chart;
  char    *want;
} Described;

static gboolean
description_is (gpointer data)
{
  Described *d = data;
  g_autofree char *mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (d->chart),
                                                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                                                   d->want);

  return mismatch == NULL;
}

/* An image named by its title, described by the summary once points stop
 * arriving for a moment (the description is throttled). */
static void
test_accessible (Fixture       *f,
                 gconstpointer  data)
{
  Described d = { f->chart, NULL };

  vs_chart_set_title (f->chart, "Loss");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (f->chart), GTK_ACCESSIBLE_ROLE_IMG);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (f->chart), GTK_ACCESSIBLE_PROPERTY_LABEL, "Loss");
  fill_training (f->chart);
  show_and_shoot (f, "chart-accessible");
  d.want = vs_chart_dup_summary (f->chart);
  g_assert_nonnull (strstr (d.want, "2000 points"));
  vs_gui_wait_for (description_is, &d, "the chart's description to follow its points");
  g_free (d.want);

  g_assert_true (vs_chart_append (f->chart, "eval_loss", 2100, 0.4));
  d.want = vs_chart_dup_summary (f->chart);
  g_assert_nonnull (strstr (d.want, "11 points, last 0.4 at step 2100"));
  vs_gui_wait_for (description_is, &d, "the chart's description to take the new point");
  g_free (d.want);
}

/* What the chart draws now, as bytes (the snapshot vfunc, as a frame runs it). */
static GBytes *
render_bytes (VsChart *chart)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  GskRenderNode *node;
  GBytes *bytes;

  GTK_WIDGET_GET_CLASS (chart)->snapshot (GTK_WIDGET (chart), snapshot);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  bytes = gsk_render_node_serialize (node);
  gsk_render_node_unref (node);
  return bytes;
}

static GtkEventController *
find_motion (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_MOTION (controller))
        return GTK_EVENT_CONTROLLER (controller);
    }
  return NULL;
}

/* The pointer drives the same hover as vs_chart_set_hover_step: moving to
 * the x of step ~800 draws what hovering step 800 draws; leaving clears. */
static void
test_pointer_hover (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) by_step = NULL;
  g_autoptr(GBytes) by_pointer = NULL;
  g_autoptr(GBytes) after_leave = NULL;
  GtkEventController *motion;
  double left, right, x;

  fill_training (f->chart);
  show_and_shoot (f, "chart-pointer-hover");
  plot_edges (f->chart, &left, &right);
  motion = find_motion (GTK_WIDGET (f->chart));
  g_assert_nonnull (motion);

  plain = render_bytes (f->chart);
  vs_chart_set_hover_step (f->chart, 800);
  by_step = render_bytes (f->chart);
  vs_chart_set_hover_step (f->chart, NAN);
  g_assert_false (g_bytes_equal (plain, by_step));

  x = left + (right - left) * 800.2 / 2000;
  g_assert_cmpfloat (round (vs_chart_step_at_x (f->chart, x)), ==, 800);
  g_signal_emit_by_name (motion, "motion", x, 60.0);
  by_pointer = render_bytes (f->chart);
  g_assert_true (g_bytes_equal (by_pointer, by_step));

  g_signal_emit_by_name (motion, "leave");
  after_leave = render_bytes (f->chart);
  g_assert_true (g_bytes_equal (after_leave, plain));
}

/* The chart's click gesture, as the pointer would drive it. */
static GtkGesture *
find_click (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller))
        return GTK_GESTURE (controller);
    }
  return NULL;
}

static void
test_legend_and_smoothing (Fixture       *f,
                           gconstpointer  data)
{
  GtkGesture *click;
  GtkAdjustment *adjustment = gtk_adjustment_new (0, 0, 0.999, 0.01, 0.1, 0);
  double left, right;
  int height;
  gboolean toggled = FALSE;

  fill_training (f->chart);
  show_and_shoot (f, "chart-training-plain");
  plot_edges (f->chart, &left, &right);
  height = gtk_widget_get_height (GTK_WIDGET (f->chart));
  click = find_click (GTK_WIDGET (f->chart));
  g_assert_nonnull (click);

  /* A click in the plot toggles nothing. */
  g_signal_emit_by_name (click, "pressed", 1, (left + right) / 2, 40.0);
  g_assert_true (vs_chart_get_series_visible (f->chart, "loss"));

  /* The first legend entry sits under the plot's left edge, in the bottom
   * row: walking up from the bottom, a click there hides "loss". */
  for (int y = height - 1; y > height - 40 && !toggled; y--)
    {
      g_signal_emit_by_name (click, "pressed", 1, left + 4, (double) y);
      toggled = !vs_chart_get_series_visible (f->chart, "loss");
    }
  g_assert_true (toggled);
  g_assert_true (vs_chart_get_series_visible (f->chart, "eval_loss"));
  show_and_shoot (f, "chart-legend-hidden");
  {
    g_autofree char *summary = vs_chart_dup_summary (f->chart);
    g_autofree char *readout = vs_chart_dup_readout (f->chart, 1000);

    g_assert_nonnull (strstr (summary, "(hidden)"));
    g_assert_null (strstr (readout, "Training loss"));
    g_assert_nonnull (strstr (readout, "Evaluation loss"));
  }

  /* A GtkScale's adjustment binds to "smoothing". */
  g_object_bind_property (adjustment, "value", f->chart, "smoothing", G_BINDING_BIDIRECTIONAL);
  gtk_adjustment_set_value (adjustment, 0.75);
  g_assert_cmpfloat (vs_chart_get_smoothing (f->chart), ==, 0.75);
  vs_chart_set_smoothing (f->chart, 0.25);
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), ==, 0.25);
  g_object_unref (g_object_ref_sink (adjustment));
}

/* 10,000 points append in O(1) each and draw in one pass over the columns. */
static void
test_many_points (Fixture       *f,
                  gconstpointer  data)
{
  gint64 start, appended, drawn;

  vs_chart_set_title (f->chart, "Gradient norm");
  vs_chart_add_series (f->chart, "grad_norm", "Gradient norm", TRUE);
  vs_chart_set_smoothing (f->chart, 0.6);
  show_and_shoot (f, "chart-many-empty");

  start = g_get_monotonic_time ();
  for (guint i = 0; i < 10000; i++)
    g_assert_true (vs_chart_append (f->chart, "grad_norm", i, 1 + sin (i / 300.0) + (i % 7) * 0.05));
  appended = g_get_monotonic_time ();
  /* The snapshot vfunc itself, as a frame runs it (the paintable would
   * hand back the cached node). */
  for (guint round = 0; round < 10; round++)
    {
      g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
      GskRenderNode *node;

      GTK_WIDGET_GET_CLASS (f->chart)->snapshot (GTK_WIDGET (f->chart), snapshot);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
      g_assert_nonnull (node);
      g_clear_pointer (&node, gsk_render_node_unref);
    }
  drawn = g_get_monotonic_time ();
  g_test_message ("10000 appends: %.1f ms; 10 snapshots: %.1f ms",
                  (appended - start) / 1000.0, (drawn - appended) / 1000.0);
  g_assert_cmpint (appended - start, <, 100 * 1000);
  g_assert_cmpint (drawn - appended, <, 10 * 100 * 1000);   /* 100 ms a frame, even on a loaded CI box */
  g_assert_cmpuint (vs_chart_get_n_points (f->chart, "grad_norm"), ==, 10000);
  show_and_shoot (f, "chart-many");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chart/nice-ticks", test_nice_ticks_ranges);
  g_test_add_func ("/chart/ema", test_ema);
  g_test_add_func ("/chart/format-tick", test_format_tick);

  /* The widget needs a display; without one only the pure tests run. */
  if (gtk_init_check ())
    {
      adw_init ();
      g_test_add_func ("/chart/points", test_points);
      g_test_add ("/chart/empty", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_empty_chart, fixture_tear_down);
      g_test_add ("/chart/empty-dark", Fixture, GINT_TO_POINTER (TRUE),
                  fixture_set_up, test_empty_chart, fixture_tear_down);
      g_test_add ("/chart/one-point", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_one_point_chart, fixture_tear_down);
      g_test_add ("/chart/small", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_small_chart, fixture_tear_down);
      g_test_add ("/chart/training", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_training_chart, fixture_tear_down);
      g_test_add ("/chart/training-dark", Fixture, GINT_TO_POINTER (TRUE),
                  fixture_set_up, test_training_chart, fixture_tear_down);
      g_test_add ("/chart/legend-smoothing", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_legend_and_smoothing, fixture_tear_down);
      g_test_add ("/chart/pointer-hover", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_pointer_hover, fixture_tear_down);
      g_test_add ("/chart/accessible", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_accessible, fixture_tear_down);
      g_test_add ("/chart/many-points", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_many_points, fixture_tear_down);
    }
  else
    g_test_message ("no display: the widget tests are skipped");

  return g_test_run ();
}
